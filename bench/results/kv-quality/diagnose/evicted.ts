// Diagnostic (round 4, README.md "Our model: the Q8_0 floor"): the rows a setting evicts that the continuation (full cache) attends to most
import { readFileSync } from "node:fs";
import { LLM } from "../../../../src/llm.ts";
import { textPrompts } from "../../../../src/eval/prompts.ts";
import { KVController } from "../../../../src/kv/controller.ts";
import { KVStore } from "../../../../src/kv/store.ts";
import { QueryWindow } from "../../../../src/kv/window.ts";

const [modelPath, nArg, kvJson, top = "30"] = process.argv.slice(2);
const llm = await LLM.load(modelPath);
const { rt, model } = llm.engine;
const cfg = model.cfg, nGroup = cfg.nHeads / cfg.nKvHeads, S = model.contextSize;
const text = readFileSync(`${process.env.BUDGETKV_SHARED ?? "../shared"}/data/tinystories_val.txt`, "utf8");
const prompts = textPrompts(text, llm.tokenizer, Number(nArg), 96, 436, 40, "sentence");
// (nLayers) of (nHeads, S) attention sums of queries [from, from + w) over rows, full cache
function attn(seq: Int32Array, L: number, from: number, w: number): Float32Array[] {
  const st = new KVStore(rt, cfg.nLayers, cfg.nKvHeads, cfg.headDim, { capacity: seq.length + 1 });
  const win = new QueryWindow(rt, cfg.nLayers, cfg.nHeads, S, from, w);
  try {
    const bounds = [0, from, from + w, seq.length].filter((x, i, a) => a.indexOf(x) === i).sort((a, b) => a - b);
    for (let b = 0; b + 1 < bounds.length; b++) for (let p = bounds[b]; p < bounds[b + 1];) {
      const m = Math.min(model.maxChunk, bounds[b + 1] - p);
      model.forward(seq, { start: p, m, pos0: p, kv: st, logits: false, window: win.recordFor(p, m) });
      p += m;
    }
    return win.acc.map((t) => t.f32().slice());
  } finally { win.dispose(); st.dispose(); }
}
const rows: { s: string; fut: number }[] = [];
const byDist: number[] = new Array(12).fill(0);
prompts.forEach((p, pi) => {
  const L = p.tokens.length, seq = Int32Array.from([...p.tokens, ...p.continuation]);
  const fut = attn(seq, L, L, p.continuation.length), wnd = attn(seq, L, L - 32, 32);
  const c = new KVController(rt, model, JSON.parse(kvJson), L, 2);
  try {
    c.run(Int32Array.from(p.tokens), 0, L);
    for (let l = 0; l < cfg.nLayers; l++) for (let h = 0; h < cfg.nKvHeads; h++) {
      const keep = new Uint8Array(L);
      for (const q of c.store.positions(l, h)) keep[q] = 1;
      for (let i = 0; i < L; i++) {
        if (keep[i]) continue;
        const f: number[] = [], w: number[] = [];
        for (let g = 0; g < nGroup; g++) { const qh = h * nGroup + g; f.push(fut[l][qh * S + i] / p.continuation.length); w.push(wnd[l][qh * S + i] / 32); }
        const fm = Math.max(...f);
        const tokAt = (j: number) => JSON.stringify(llm.detokenize([p.tokens[j]]));
        byDist[Math.min(11, Math.floor(Math.log2(L - i)))] += fm;
        rows.push({ fut: fm, s: `p${pi} L=${L} layer ${l} kv ${h} pos ${i} (dist ${L - i}) tok ${tokAt(i)} after ${tokAt(i - 1)} window ${w.map((x) => x.toExponential(1)).join("/")} future ${f.map((x) => x.toExponential(1)).join("/")}` });
      }
    }
  } finally { c.dispose(); }
});
rows.sort((a, b) => b.fut - a.fut);
for (const r of rows.slice(0, Number(top))) console.log(r.s);
console.log(`evicted rows ${rows.length}; future mass (max over group) by log2 distance: ${byDist.map((x) => x.toFixed(3)).join(" ")}`);
llm.dispose();
