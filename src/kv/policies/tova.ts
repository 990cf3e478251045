// TOVA: keep the positions the last query attends to most, attention summed over all heads.
import { definePolicy } from "../define.ts";
import { withDefault } from "../schema.ts";
import { BUDGET, EXEMPT, RATIO } from "./common.ts";
import { sumRows } from "../select.ts";

export const tova = definePolicy({
  name: "tova",
  summary: "TOVA: keep what the last query attends to most (mean over heads), fixed budget",
  options: { ratio: RATIO, budget: BUDGET, exemptLayers: withDefault(EXEMPT, []) },
  make: () => ({
    window: 1,
    // (n) the last query's attention, summed over every query head
    score(ctx) {
      const n = ctx.heads[0].n, nGroup = ctx.nHeads / ctx.nKvHeads;
      const total = new Float32Array(n), part = new Float32Array(n);
      for (let h = 0; h < ctx.nKvHeads; h++) {
        sumRows(ctx.windowScores(h, 1, "sum"), nGroup, n, part);
        for (let i = 0; i < n; i++) total[i] += part[i];
      }
      return total;
    },
  }),
});
