// Diagnostic (round 4, README.md "Our model: the Q8_0 floor"): how much of the continuation's attention (full cache, 40 teacher-forced queries) falls
// on the rows a setting evicts after the prompt, per layer (mean over prompts and KV heads)
import { readFileSync } from "node:fs";
import { LLM } from "../../../../src/llm.ts";
import { textPrompts } from "../../../../src/eval/prompts.ts";
import { KVController } from "../../../../src/kv/controller.ts";
import { KVStore } from "../../../../src/kv/store.ts";
import { QueryWindow } from "../../../../src/kv/window.ts";
import type { KVOptions } from "../../../../src/kv/options.ts";

const [modelPath, nArg, range, ...kvs] = process.argv.slice(2);
const llm = await LLM.load(modelPath);
const { rt, model } = llm.engine;
const cfg = model.cfg, nGroup = cfg.nHeads / cfg.nKvHeads;
const text = readFileSync(`${process.env.BUDGETKV_SHARED ?? "../shared"}/data/tinystories_val.txt`, "utf8");
const [lo, hi] = range.split("-").map(Number);
const prompts = textPrompts(text, llm.tokenizer, Number(nArg), lo, hi, 40, "sentence");
// (nLayers)(nHeads, L) the continuation queries' summed attention on the prompt's positions
function future(toks: number[], cont: number[]): Float32Array[][] {
  const L = toks.length, C = cont.length, seq = Int32Array.from([...toks, ...cont]);
  const st = new KVStore(rt, cfg.nLayers, cfg.nKvHeads, cfg.headDim, { capacity: L + C + 1 });
  const win = new QueryWindow(rt, cfg.nLayers, cfg.nHeads, model.contextSize, L, C);
  try {
    for (let p = 0; p < L + C;) {
      const m = Math.min(model.maxChunk, L + C - p, p < L ? L - p : C);
      model.forward(seq, { start: p, m, pos0: p, kv: st, logits: false, window: win.recordFor(p, m) });
      p += m;
    }
    return win.acc.map((t) => Array.from({ length: cfg.nHeads }, (_, h) => t.f32().slice(h * model.contextSize, h * model.contextSize + L + C)));
  } finally { win.dispose(); st.dispose(); }
}
const res: Record<string, { ev: number[]; kept: number[]; maxEv: number[] }> = {};
for (const p of prompts) {
  const f = future(p.tokens, p.continuation);
  for (const s of kvs) {
    const kv: KVOptions = JSON.parse(s);
    const c = new KVController(rt, model, kv, p.tokens.length, 2);
    try {
      c.run(Int32Array.from(p.tokens), 0, p.tokens.length);
      const r = (res[s] ??= { ev: new Array(cfg.nLayers).fill(0), kept: new Array(cfg.nLayers).fill(0), maxEv: new Array(cfg.nLayers).fill(0) });
      for (let l = 0; l < cfg.nLayers; l++) for (let h = 0; h < cfg.nKvHeads; h++) {
        const keep = new Uint8Array(p.tokens.length);
        for (const q of c.store.positions(l, h)) keep[q] = 1;
        let ev = 0, tot = 0;
        for (let g = 0; g < nGroup; g++) {
          const a = f[l][h * nGroup + g];
          for (let i = 0; i < a.length; i++) { tot += a[i]; if (i < p.tokens.length && !keep[i]) ev += a[i]; }
        }
        r.ev[l] += ev / tot / (prompts.length * cfg.nKvHeads);
        r.maxEv[l] = Math.max(r.maxEv[l], ev / tot);
        r.kept[l] += c.store.positions(l, h).length / p.tokens.length / (prompts.length * cfg.nKvHeads);
      }
    } finally { c.dispose(); }
  }
}
for (const s of kvs) {
  const r = res[s];
  console.log(s);
  console.log(`  kept per layer ${r.kept.map((x) => x.toFixed(3)).join(" ")}  mean ${(r.kept.reduce((a, b) => a + b) / cfg.nLayers).toFixed(3)}`);
  console.log(`  future mass evicted per layer ${r.ev.map((x) => x.toExponential(2)).join(" ")}  (max over prompts/heads ${r.maxEv.map((x) => x.toExponential(1)).join(" ")})`);
}
llm.dispose();
