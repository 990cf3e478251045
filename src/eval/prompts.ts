// Evaluation prompts cut from a text file: each starts at a story's beginning (BOS + text),
// with a prompt length spread evenly over [lo, hi] and the text's own continuation after it.
// Retrieval prompts put a fact early and ask for it at the end.
import type { Tokenizer } from "../tokenizer/types.ts";

export interface EvalPrompt {
  tokens: number[];        // prompt ids, BOS first
  continuation: number[];  // the text's next tokens
  answer?: string;         // retrieval: the expected answer
}

const STORY_START = /(^|\n\n)(Once upon a time|One day|Once there was|There was once)/g;

// Up to n prompts of lengths in [lo, hi] tokens, each followed by `cont` continuation tokens.
export function textPrompts(text: string, tok: Tokenizer, n: number, lo: number, hi: number, cont: number): EvalPrompt[] {
  if (!(n >= 1) || !(lo >= 2) || hi < lo) throw new RangeError(`eval: invalid prompt spec (${n} prompts of ${lo}-${hi} tokens)`);
  const starts: number[] = [];
  for (const m of text.matchAll(STORY_START)) starts.push(m.index! + m[1].length);
  if (starts.length === 0) starts.push(0);
  const out: EvalPrompt[] = [];
  // spread the prompts over the stories and the lengths over [lo, hi]
  const step = Math.max(1, Math.floor(starts.length / n));
  for (let i = 0, s = 0; out.length < n && s < starts.length; i++, s += step) {
    const len = n > 1 ? lo + Math.round(((hi - lo) * (out.length % n)) / (n - 1)) : hi;
    // enough text for len + cont tokens: grow the slice until it tokenizes long enough
    let chars = (len + cont) * 6;
    let ids: number[] = [];
    while (chars < text.length * 2) {
      ids = tok.encode(text.slice(starts[s], starts[s] + chars), { addBos: true });
      if (ids.length >= len + cont + 1 || starts[s] + chars >= text.length) break;
      chars *= 2;
    }
    if (ids.length < len + cont) continue;
    out.push({ tokens: ids.slice(0, len), continuation: ids.slice(len, len + cont) });
  }
  if (out.length < n) throw new RangeError(`eval: the data file gives only ${out.length} prompts of ${lo}-${hi} tokens with ${cont} continuation tokens (asked for ${n})`);
  return out;
}

// Retrieval prompts: "The secret code is 4821." + filler story text + "What is the secret code?"
export function retrievalPrompts(text: string, tok: Tokenizer, n: number, fillerTokens: number): EvalPrompt[] {
  const paras = text.split(/\n\n+/).filter((p) => p.length > 40);
  const out: EvalPrompt[] = [];
  for (let i = 0; i < n; i++) {
    const code = String(1000 + ((i * 7919) % 9000));
    let filler = "";
    for (let j = 0; tok.encode(filler).length < fillerTokens && j < paras.length; j++) filler += paras[(i * 13 + j) % paras.length] + "\n\n";
    const prompt = `The secret code is ${code}. Remember it.\n\n${filler}What is the secret code? The secret code is`;
    out.push({ tokens: tok.encode(prompt, { addBos: true }), continuation: tok.encode(` ${code}.`, { addBos: false }), answer: code });
  }
  return out;
}
