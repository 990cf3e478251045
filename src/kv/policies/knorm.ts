// Knorm: keep the keys with the lowest L2 norm, per KV head.
import type { PolicyFactory } from "../policy.ts";
import { BUDGET, EXEMPT, RATIO } from "./common.ts";
import { budgetOf } from "../select.ts";

export const knorm: PolicyFactory = {
  name: "knorm",
  summary: "Knorm: keep the keys with the lowest L2 norm (per KV head), fixed budget",
  adaptive: false,
  options: { ratio: RATIO, budget: BUDGET, exemptLayers: EXEMPT },
  defaults: { ratio: 0.5, exemptLayers: [] },
  create: (o) => ({
    name: "knorm", adaptive: false, window: 0, exemptLayers: new Set(o.exemptLayers as number[]),
    select(ctx) {
      const n = ctx.heads[0].n;
      const b = budgetOf(n, o);
      if (b >= n) return null;
      return ctx.heads.map((_, h) => {
        const norms = ctx.keyNorms(h);
        const idx = new Int32Array(n);
        for (let i = 0; i < n; i++) idx[i] = i;
        idx.sort((a, c) => norms[a] - norms[c] || a - c);
        return idx.subarray(0, b).sort();
      });
    },
  }),
};
