// Held-out perplexity of one or more models on the same text, with budgetkv itself (full cache).
// Usage: node scripts/run-ts.mjs train/ppl.ts TEXT_FILE N_CHUNKS MODEL...
// The text is cut into chunks of whole paragraphs (about 1,500 characters each, from its start);
// each chunk is scored teacher-forced from BOS, at most 510 tokens (stories260K's context is 512).
// Prints per model: tokens, characters, perplexity per token (tokenizer-dependent) and bits per
// character (comparable across tokenizers), as one JSON line.
import { readFileSync } from "node:fs";
import { LLM } from "../src/llm.ts";
import { Evaluator } from "../src/eval/evaluate.ts";

const [file, nStr, ...models] = process.argv.slice(2);
const n = Number(nStr);
if (!file || !(n >= 1) || models.length === 0) {
  console.error("usage: node scripts/run-ts.mjs train/ppl.ts TEXT_FILE N_CHUNKS MODEL...");
  process.exit(2);
}
const paras = readFileSync(file, "utf8").split(/\n\n+/).map((p) => p.trim()).filter(Boolean);
const chunks: string[] = [];
for (let i = 0, cur = ""; i < paras.length && chunks.length < n; i++) {
  cur = cur ? `${cur}\n\n${paras[i]}` : paras[i];
  if (cur.length >= 1500) { chunks.push(cur); cur = ""; }
}
for (const m of models) {
  const llm = await LLM.load(m);
  try {
    const { rt, model } = llm.engine;
    const ev = new Evaluator(rt, model, 1);
    let nll = 0, tokens = 0, chars = 0;
    for (const c of chunks) {
      const ids = llm.tokenize(c, { addBos: true }).slice(0, 511);
      const r = ev.reference({ tokens: ids.slice(0, 1), continuation: ids.slice(1) });
      nll += r.nll;
      tokens += ids.length - 1;
      chars += llm.detokenize(ids.slice(1)).length;
    }
    console.log(JSON.stringify({ model: m, chunks: chunks.length, tokens, chars, ppl_per_token: Math.exp(nll / tokens), bits_per_char: nll / Math.LN2 / chars }));
  } finally {
    llm.dispose();
  }
}
