// DBudgetKV (Ni et al., arXiv 2502.16886), the paper's rule exactly: sinks kept; the other
// positions ranked newest first; the last prompt token's attention row per query head;
// keep the shortest newest-first prefix whose head-averaged attention-norm drop is <= T.
// One cut per layer; layers 0 and 1 exempt. Sinks are left out of both norms, as the authors'
// code does (sinksInNorm: true puts them in). T <= 0 keeps everything.
import { definePolicy } from "../define.ts";
import { boolean, withDefault } from "../schema.ts";
import { EXEMPT, SINKS, TOLERANCE } from "./common.ts";
import { dbudgetCut } from "../../wasm/ops/dbudget.ts";
import { sumRows } from "../select.ts";

export const dbudget = definePolicy({
  name: "dbudget",
  summary: "DBudgetKV: budget-free; prune the oldest positions while the attention-norm drop stays <= T",
  adaptive: true,
  options: { tolerance: TOLERANCE, sinks: SINKS, exemptLayers: withDefault(EXEMPT, [0, 1]), sinksInNorm: withDefault(boolean("count the sink positions in both norms"), false) },
  make: (o) => ({
    window: 1,
    // the halting signal per KV head: the last query's attention, averaged over the head's query
    // group (positions are ranked by age, which is the same in every head; headwise over dbudget
    // compares heads by the attention the rule measures instead)
    headScores: true,
    score(ctx, h, hi) {
      const nGroup = ctx.nHeads / ctx.nKvHeads;
      if (h === undefined) {
        const s = new Float32Array(hi);
        for (let k = 0; k < ctx.nKvHeads; k++) { const p = sumRows(ctx.windowScores(k, 1, "sum"), nGroup, ctx.heads[k].n); for (let i = 0; i < hi; i++) s[i] += p[i] / ctx.nHeads; }
        return s;
      }
      const s = sumRows(ctx.windowScores(h, 1, "sum"), nGroup, ctx.heads[h].n);
      for (let i = 0; i < s.length; i++) s[i] /= nGroup;
      return s;
    },
    cut(ctx, _h, s) {
      const n = ctx.heads[0].n, nGroup = ctx.nHeads / ctx.nKvHeads;
      // attn (nHeads, n): the last query's softmax row of every query head
      const attn = ctx.rt.tensor("f32", [ctx.nHeads, n]);
      try {
        for (let h = 0; h < ctx.nKvHeads; h++) attn.f32().set(ctx.windowScores(h, 1, "sum"), h * nGroup * n);
        // order: the rows the norms run over, newest first (after the sinks with sinksInNorm)
        const order = new Int32Array(o.sinksInNorm ? n : n - s);
        let j = 0;
        if (o.sinksInNorm) for (let i = 0; i < s; i++) order[j++] = i;
        for (let i = n - 1; i >= s; i--) order[j++] = i;
        const cut = dbudgetCut(attn, order, o.tolerance);
        return order.subarray(0, o.sinksInNorm ? Math.max(cut, s) : cut);
      } finally {
        attn.dispose();
      }
    },
  }),
});
