// random: uniform random eviction, a floor for every other policy.
import type { PolicyFactory } from "../policy.ts";
import { BUDGET, EXEMPT, RATIO } from "./common.ts";
import { budgetOf } from "../select.ts";

export const random: PolicyFactory = {
  name: "random",
  summary: "uniform random eviction (a floor), fixed budget",
  adaptive: false,
  options: { ratio: RATIO, budget: BUDGET, exemptLayers: EXEMPT, seed: { type: "integer", help: "random seed" } },
  defaults: { ratio: 0.5, exemptLayers: [], seed: 1 },
  create: (o) => ({
    name: "random", adaptive: false, window: 0, exemptLayers: new Set(o.exemptLayers as number[]),
    select(ctx) {
      const n = ctx.heads[0].n;
      const b = budgetOf(n, o);
      if (b >= n) return null;
      // partial Fisher-Yates: the first b of a random permutation
      const perm = new Int32Array(n);
      for (let i = 0; i < n; i++) perm[i] = i;
      for (let i = 0; i < b; i++) {
        const j = i + Math.floor(ctx.random() * (n - i));
        const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
      }
      return perm.subarray(0, b).sort();
    },
  }),
};
