// random: uniform random eviction, a floor for every other policy. The policy owns its seeded
// generator: one stream per built policy, drawn layer by layer, prune by prune.
import { definePolicy } from "../define.ts";
import { integer, withDefault } from "../schema.ts";
import { BUDGET, EXEMPT, RATIO } from "./common.ts";
import { mulberry32 } from "../../util/rng.ts";

export const random = definePolicy({
  name: "random",
  summary: "uniform random eviction (a floor), fixed budget",
  options: { ratio: RATIO, budget: BUDGET, exemptLayers: withDefault(EXEMPT, []), seed: withDefault(integer("random seed"), 1) },
  make(o) {
    const uniform = mulberry32(o.seed);
    return {
      // partial Fisher-Yates: the first b of a random permutation of the layer's n rows
      pick(ctx, _h, b) {
        const n = ctx.heads[0].n;
        const perm = new Int32Array(n);
        for (let i = 0; i < n; i++) perm[i] = i;
        for (let i = 0; i < b; i++) {
          const j = i + Math.floor(uniform() * (n - i));
          const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
        }
        return perm.subarray(0, b).sort();
      },
    };
  },
});
