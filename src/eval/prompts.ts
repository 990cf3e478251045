// Evaluation prompts cut from a text file: each starts at a story's beginning (BOS + text),
// with a prompt length spread evenly over [lo, hi] and the text's own continuation after it.
// Where a prompt ends (PromptEnd): at the end of a sentence (default: real prompts end there),
// at the end of a paragraph, or at the token count itself (mostly mid-sentence).
// Retrieval prompts put a fact early and ask for it at the end.
import type { Tokenizer } from "../tokenizer/types.ts";

export interface EvalPrompt {
  tokens: number[];        // prompt ids, BOS first
  continuation: number[];  // the text's next tokens
  answer?: string;         // retrieval: the expected answer
  needle?: [number, number]; // retrieval: token positions [start, end) of the fact's code in tokens
}

export type PromptEnd = "sentence" | "paragraph" | "token";
export const PROMPT_ENDS: readonly PromptEnd[] = ["sentence", "paragraph", "token"];

// the text so far ends a sentence: . ! or ? then closing quotes or brackets, then perhaps white
// space (some vocabularies hold ".\n" or "!\" " as one token)
const SENTENCE_END = /[.!?]["'\u201d\u2019)]*(\s*)$/;

// Prompt lengths t (tokens ids[0..t)) in [lo, hi] whose text ends where `end` says: a sentence
// end followed by white space (sentence) or by a line break (paragraph), counting what follows
// the sentence end in the prompt's last token and then the next token's text.
function boundaries(ids: number[], tok: Tokenizer, lo: number, hi: number, end: PromptEnd): number[] {
  if (end === "token") return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const dec = tok.decoder();
  const text: string[] = [];   // text[t]: the decoded text of ids[0..t)
  let acc = "";
  text.push(acc);
  for (let t = 0; t < ids.length; t++) { acc += dec.push(ids[t]); text.push(acc); }
  const out: number[] = [];
  for (let t = lo; t <= Math.min(hi, ids.length - 1); t++) {
    const m = SENTENCE_END.exec(text[t]);
    if (!m) continue;
    const after = m[1] + text[t + 1].slice(text[t].length);
    if (end === "paragraph" ? !/^[^\S\n]*\n/.test(after) : !/^\s/.test(after)) continue;
    out.push(t);
  }
  return out;
}

const STORY_START = /(^|\n\n)(Once upon a time|One day|Once there was|There was once)/g;

// Up to n prompts of lengths in [lo, hi] tokens, each followed by `cont` continuation tokens.
export function textPrompts(text: string, tok: Tokenizer, n: number, lo: number, hi: number, cont: number, end: PromptEnd = "sentence"): EvalPrompt[] {
  if (!PROMPT_ENDS.includes(end)) throw new RangeError(`eval: prompt end "${end}": expected ${PROMPT_ENDS.join(", ")}`);
  if (!(n >= 1) || !(lo >= 2) || hi < lo) throw new RangeError(`eval: invalid prompt spec (${n} prompts of ${lo}-${hi} tokens)`);
  const starts: number[] = [];
  for (const m of text.matchAll(STORY_START)) starts.push(m.index! + m[1].length);
  if (starts.length === 0) starts.push(0);
  const out: EvalPrompt[] = [];
  // spread the prompts over the stories and the lengths over [lo, hi]
  const step = Math.max(1, Math.floor(starts.length / n));
  // a story that has no boundary in range is passed over for the next one
  const slack = end === "token" ? 0 : 32;   // room for a boundary past the wanted length
  for (let s = 0; out.length < n && s < starts.length;) {
    const len = n > 1 ? lo + Math.round(((hi - lo) * (out.length % n)) / (n - 1)) : hi;
    // enough text for len + cont tokens: grow the slice until it tokenizes long enough
    let chars = (len + cont + slack) * 6;
    let ids: number[] = [];
    while (chars < text.length * 2) {
      ids = tok.encode(text.slice(starts[s], starts[s] + chars), { addBos: true });
      if (ids.length >= len + cont + slack + 1 || starts[s] + chars >= text.length) break;
      chars *= 2;
    }
    // the boundary in [lo, hi] nearest the wanted length (the shorter one on a tie)
    const cuts = ids.length < lo + cont ? [] : boundaries(ids, tok, lo, Math.min(hi, ids.length - cont), end);
    if (cuts.length === 0) { s++; continue; }
    const at = cuts.reduce((a, b) => (Math.abs(b - len) < Math.abs(a - len) ? b : a));
    if (end === "token" && at !== len) { s++; continue; }
    out.push({ tokens: ids.slice(0, at), continuation: ids.slice(at, at + cont) });
    s += step;
  }
  if (out.length < n) throw new RangeError(`eval: the data file gives only ${out.length} prompts of ${lo}-${hi} tokens ending at a ${end === "token" ? "token count" : end + " end"} with ${cont} continuation tokens (asked for ${n})`);
  return out;
}

// Retrieval prompts of at most maxTokens tokens: story paragraphs with one fact among them, asked
// for at the end (the format train/tasks.py trains on):
//   BOS [paragraphs]\n\nThe secret code is 4821. Remember it.\n\n[paragraphs]\n\nWhat is the secret code? The secret code is
// The fact sits at depth 0, 1/4, 1/2, 3/4 or 1 of the paragraphs (prompt i gets depth (i mod 5) / 4);
// `needle` is the token range of the code (the space before it and its digits).
// first: the index of the first case (cases first .. first+n-1, so a run can be split in parts)
export function retrievalPrompts(text: string, tok: Tokenizer, n: number, maxTokens: number, first = 0): EvalPrompt[] {
  const paras = text.split(/\n\n+/).map((p) => p.trim()).filter((p) => p.length > 40);
  if (!(n >= 1) || paras.length === 0) throw new RangeError(`eval: retrieval needs n >= 1 and a text with paragraphs (n = ${n}, ${paras.length} paragraphs)`);
  const QUESTION = "What is the secret code? The secret code is";
  const out: EvalPrompt[] = [];
  if (!(Number.isInteger(first) && first >= 0)) throw new RangeError(`eval: retrieval's first case must be an integer >= 0 (got ${first})`);
  for (let i = first; i < first + n; i++) {
    const code = String(1000 + ((i * 7919) % 9000));
    const fact = `The secret code is ${code}. Remember it.`;
    const build = (ps: string[], at: number) => [...ps.slice(0, at), fact, ...ps.slice(at)].join("\n\n") + "\n\n" + QUESTION;
    // take paragraphs in a fixed order from a start that depends on i, skipping any that do not fit
    const room = maxTokens - tok.encode(build([], 0), { addBos: true }).length;
    const chosen: string[] = [];
    let used = 0;
    for (let j = 0, misses = 0; j < paras.length && misses < 40; j++) {
      const p = paras[(i * 131 + j) % paras.length];
      const k = tok.encode(p).length + 2;   // + the blank line
      if (used + k > room) { misses++; continue; }
      chosen.push(p);
      used += k;
    }
    const at = Math.round((chosen.length * (i % 5)) / 4);
    let tokens = tok.encode(build(chosen, at), { addBos: true });
    while (tokens.length > maxTokens && chosen.length) {   // joined text can tokenize a little longer
      chosen.pop();
      tokens = tok.encode(build(chosen, Math.min(at, chosen.length)), { addBos: true });
    }
    if (tokens.length > maxTokens) throw new RangeError(`eval: a retrieval prompt needs ${tokens.length} tokens, more than ${maxTokens}`);
    // the code's tokens and the answer's, as they tokenize in place; no needle when the code's
    // tokens merge with their neighbours (then which positions hold it is not well defined)
    const text = build(chosen, Math.min(at, chosen.length));
    const head = [...chosen.slice(0, Math.min(at, chosen.length)), "The secret code is"].join("\n\n");
    const start = tok.encode(head, { addBos: true }).length;
    const withCode = tok.encode(`${head} ${code}`, { addBos: true });
    const inPlace = withCode.join() === tokens.slice(0, withCode.length).join() && withCode.slice(0, start).join() === tok.encode(head, { addBos: true }).join();
    const full = tok.encode(`${text} ${code}.`, { addBos: true });
    out.push({ tokens, continuation: full.slice(tokens.length), answer: code, needle: inPlace ? [start, withCode.length] : undefined });
  }
  return out;
}
