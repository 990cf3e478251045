// TOVA: keep the positions the last query attends to most, attention averaged over all heads.
import type { PolicyFactory } from "../policy.ts";
import { BUDGET, EXEMPT, RATIO } from "./common.ts";
import { budgetOf, sumRows, topRows } from "../select.ts";

export const tova: PolicyFactory = {
  name: "tova",
  summary: "TOVA: keep what the last query attends to most (mean over heads), fixed budget",
  adaptive: false,
  options: { ratio: RATIO, budget: BUDGET, exemptLayers: EXEMPT },
  defaults: { ratio: 0.5, exemptLayers: [] },
  create: (o) => ({
    name: "tova", adaptive: false, window: 1, exemptLayers: new Set(o.exemptLayers as number[]),
    select(ctx) {
      const n = ctx.heads[0].n;
      const b = budgetOf(n, o);
      if (b >= n) return null;
      const total = new Float32Array(n), part = new Float32Array(n);
      const nGroup = ctx.nHeads / ctx.nKvHeads;
      for (let h = 0; h < ctx.nKvHeads; h++) {
        sumRows(ctx.windowScores(h, 1, "sum"), nGroup, n, part);
        for (let i = 0; i < n; i++) total[i] += part[i];
      }
      return topRows(ctx.rt, total, 0, n, b).sort();
    },
  }),
};
