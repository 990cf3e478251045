// random: uniform random eviction, a floor for every other policy. The policy owns its seeded
// generator: one stream per built policy, drawn layer by layer, prune by prune; its state is
// saved with a session (session.save()), so restore + continue draws the same rows.
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
      // the generator's u32 state, saved with a session so a restored one draws what it would have
      state: {
        save: () => uniform.state,
        restore(v) {
          if (!(Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32)) throw new RangeError(`KV policy "random": saved generator state ${JSON.stringify(v)} is not a u32`);
          uniform.state = v as number;
        },
      },
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
