// Diagnostic (round 4, README.md "Our model: the Q8_0 floor"): which prompts lose greedy identity under a nucleus setting, where, and which layer
import { readFileSync } from "node:fs";
import { LLM } from "../../../../src/llm.ts";
import { Evaluator } from "../../../../src/eval/evaluate.ts";
import { textPrompts } from "../../../../src/eval/prompts.ts";
import { KVController } from "../../../../src/kv/controller.ts";
import type { KVOptions } from "../../../../src/kv/options.ts";

const [modelPath, nArg, kvJson, range = "96-436"] = process.argv.slice(2);
const llm = await LLM.load(modelPath);
const { rt, model } = llm.engine;
const text = readFileSync(`${process.env.BUDGETKV_SHARED ?? "../shared"}/data/tinystories_val.txt`, "utf8");
const [lo, hi] = range.split("-").map(Number);
const prompts = textPrompts(text, llm.tokenizer, Number(nArg), lo, hi, 40, "sentence");
const ev = new Evaluator(rt, model, 32);
const base: KVOptions = JSON.parse(kvJson);
function kept(kv: KVOptions, toks: number[]): string {
  const c = new KVController(rt, model, kv, toks.length, 2);
  try {
    c.run(Int32Array.from(toks), 0, toks.length);
    return c.store.layers.map((hs) => hs.map((b) => (b.n / toks.length).toFixed(2)).join("/")).join(" ");
  } finally { c.dispose(); }
}
const div = (a: number[], b: number[]) => { let k = 0; while (k < a.length && a[k] === b[k]) k++; return k; };
let same = 0;
for (let i = 0; i < prompts.length; i++) {
  const p = prompts[i];
  const full = ev.greedy({ policy: "full" }, p).tokens;
  const g = ev.greedy(base, p).tokens;
  const k = div(full, g);
  if (k === 32) { same++; console.log(`#${i} L=${p.tokens.length} same kept ${kept(base, p.tokens)}`); continue; }
  // which layer: exempt each one in turn
  const fix: string[] = [];
  for (let l = 1; l < model.cfg.nLayers; l++) {
    const ex = [...new Set([...(((base as any).exemptLayers as number[]) ?? [0]), l])];
    const k2 = div(full, ev.greedy({ ...base, exemptLayers: ex } as KVOptions, p).tokens);
    fix.push(`+L${l}:${k2}`);
  }
  console.log(`#${i} L=${p.tokens.length} diverges at ${k} (${llm.detokenize(full.slice(Math.max(0,k-3), k+2)).replace(/\n/g,"\\n")} | ${llm.detokenize(g.slice(Math.max(0,k-3), k+2)).replace(/\n/g,"\\n")}) kept ${kept(base, p.tokens)} ${fix.join(" ")}`);
}
console.log(`same ${same}/${prompts.length}`);
llm.dispose();
