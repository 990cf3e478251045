// DBudgetKV (Ni et al., arXiv 2502.16886), the paper's rule exactly: sinks kept; the other
// positions ranked newest first; the last prompt token's attention row per query head;
// keep the shortest newest-first prefix whose head-averaged attention-norm drop is <= T.
// One cut per layer; layers 0 and 1 exempt. Sinks are left out of both norms, as the authors'
// code does (sinksInNorm: true puts them in). T <= 0 keeps everything.
import type { PolicyFactory } from "../policy.ts";
import { EXEMPT, SINKS, TOLERANCE } from "./common.ts";
import { sinkCount, unionRows, range } from "../select.ts";
import { dbudgetCut } from "../../wasm/ops/dbudget.ts";

export const dbudget: PolicyFactory = {
  name: "dbudget",
  summary: "DBudgetKV: budget-free; prune the oldest positions while the attention-norm drop stays <= T",
  adaptive: true,
  options: { tolerance: TOLERANCE, sinks: SINKS, exemptLayers: EXEMPT, sinksInNorm: { type: "boolean", help: "count the sink positions in both norms" } },
  defaults: { tolerance: 0.01, sinks: 4, exemptLayers: [0, 1], sinksInNorm: false },
  create: (o) => ({
    name: "dbudget", adaptive: true, window: 1, exemptLayers: new Set(o.exemptLayers as number[]),
    select(ctx) {
      const tol = o.tolerance as number;
      const n = ctx.heads[0].n;
      if (tol <= 0) return null;
      if (ctx.heads.some((h) => h.n !== n)) throw new Error(`dbudget: layer ${ctx.layer} was pruned per KV head; dbudget needs one cut per layer`);
      const s = sinkCount(ctx.positions(0), o.sinks as number);
      // attn (nHeads, n): the last query's softmax row of every query head
      const attn = ctx.rt.tensor("f32", [ctx.nHeads, n]);
      const nGroup = ctx.nHeads / ctx.nKvHeads;
      try {
        for (let h = 0; h < ctx.nKvHeads; h++) attn.f32().set(ctx.windowScores(h, 1, "sum"), h * nGroup * n);
        const sinksFirst = o.sinksInNorm as boolean;
        const order = new Int32Array(sinksFirst ? n : n - s);
        let j = 0;
        if (sinksFirst) for (let i = 0; i < s; i++) order[j++] = i;
        for (let i = n - 1; i >= s; i--) order[j++] = i;
        const cut = dbudgetCut(attn, order, tol);
        const keepN = sinksFirst ? Math.max(cut, s) : cut;
        return unionRows(n, range(0, s), order.subarray(0, keepN));
      } finally {
        attn.dispose();
      }
    },
  }),
};
