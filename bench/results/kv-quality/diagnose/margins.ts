// Diagnostic (round 4, README.md "Our model: the Q8_0 floor"): near-ties of the full cache (top-1 minus top-2 logit) on the teacher-forced steps and
// along the greedy path, and the margins where a setting disagrees
import { readFileSync } from "node:fs";
import { LLM } from "../../../../src/llm.ts";
import { textPrompts } from "../../../../src/eval/prompts.ts";
import { KVController } from "../../../../src/kv/controller.ts";
import type { KVOptions } from "../../../../src/kv/options.ts";

const [modelPath, nArg, ...kvs] = process.argv.slice(2);
const llm = await LLM.load(modelPath);
const { rt, model } = llm.engine;
const text = readFileSync(`${process.env.BUDGETKV_SHARED ?? "../shared"}/data/tinystories_val.txt`, "utf8");
const prompts = textPrompts(text, llm.tokenizer, Number(nArg), 96, 436, 40, "sentence");
function top2(x: Float32Array): [number, number, number] {
  let a = 0, b = -1;
  for (let i = 1; i < x.length; i++) { if (x[i] > x[a]) { b = a; a = i; } else if (b < 0 || x[i] > x[b]) b = i; }
  return [a, b, x[a] - x[b]];
}
// teacher-forced argmaxes and margins, and the greedy path's tokens and margins
function run(kv: KVOptions, toks: number[], cont: number[], greedy: boolean): { arg: number[]; margin: number[] } {
  const L = toks.length, G = cont.length;
  const seq = Int32Array.from([...toks, ...cont]);
  const c = new KVController(rt, model, kv, L, G + 1);
  const arg: number[] = [], margin: number[] = [];
  try {
    c.run(seq, 0, L);
    for (let j = 0; j < G; j++) {
      const [a, , m] = top2(model.logits.f32());
      arg.push(a); margin.push(m);
      if (greedy) seq[L + j] = a;
      if (j + 1 < G) c.run(seq, L + j, 1);
    }
    return { arg, margin };
  } finally { c.dispose(); }
}
const all: number[] = [], minG: number[] = [];
const dis: Record<string, number[]> = {};
const ident: Record<string, number> = {};
for (const p of prompts) {
  const f = run({ policy: "full" }, p.tokens, p.continuation, false);
  all.push(...f.margin);
  const g = run({ policy: "full" }, p.tokens, new Array(32).fill(0), true);
  minG.push(Math.min(...g.margin));
  for (const s of kvs) {
    const kv = JSON.parse(s);
    const r = run(kv, p.tokens, p.continuation, false);
    for (let j = 0; j < r.arg.length; j++) if (r.arg[j] !== f.arg[j]) (dis[s] ??= []).push(f.margin[j]);
    const gg = run(kv, p.tokens, g.arg, false);   // teacher-forced on full's greedy path: where it first differs
    let k = 0; while (k < 32 && gg.arg[k] === g.arg[k]) k++;
    if (k === 32) ident[s] = (ident[s] ?? 0) + 1;
    else console.log(`${s.slice(0, 60)} prompt L=${p.tokens.length} greedy differs at ${k}, full margin there ${g.margin[k].toFixed(4)}, min margin on path ${Math.min(...g.margin).toFixed(4)}`);
  }
}
const q = (a: number[], t: number) => a.filter((x) => x < t).length;
console.log(`teacher-forced steps ${all.length}: margin < 0.01: ${q(all, 0.01)}, < 0.03: ${q(all, 0.03)}, < 0.1: ${q(all, 0.1)}, < 0.3: ${q(all, 0.3)}`);
console.log(`greedy paths ${minG.length}: min margin < 0.01: ${q(minG, 0.01)}, < 0.03: ${q(minG, 0.03)}, < 0.1: ${q(minG, 0.1)}, < 0.3: ${q(minG, 0.3)}`);
for (const s of kvs) console.log(`${s}: ${dis[s]?.length ?? 0} disagreements, full margins ${(dis[s] ?? []).map((x) => x.toFixed(3)).sort().join(" ")}; greedy identical ${ident[s] ?? 0}`);
llm.dispose();
