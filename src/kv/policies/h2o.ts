// H2O, one-shot prefill variant: heavy hitters by the attention the last `window` queries give
// each position (per KV head, summed over its query heads), plus a recent window; the budget
// is split evenly between the two, as the official 10 % + 10 % setting does.
import type { PolicyFactory } from "../policy.ts";
import { BUDGET, EXEMPT, RATIO, WINDOW } from "./common.ts";
import { budgetOf, range, sumRows, topRows, unionRows } from "../select.ts";

export const h2o: PolicyFactory = {
  name: "h2o",
  summary: "H2O: heavy hitters (attention of the last queries) plus recent tokens, fixed budget",
  adaptive: false,
  options: { ratio: RATIO, budget: BUDGET, window: WINDOW, exemptLayers: EXEMPT },
  defaults: { ratio: 0.5, window: 8, exemptLayers: [] },
  create: (o) => ({
    name: "h2o", adaptive: false, window: o.window as number, exemptLayers: new Set(o.exemptLayers as number[]),
    select(ctx) {
      const nGroup = ctx.nHeads / ctx.nKvHeads;
      return ctx.heads.map((head, h) => {
        const n = head.n;
        const b = budgetOf(n, o);
        if (b >= n) return range(0, n);
        const recent = Math.floor(b / 2);
        const s = sumRows(ctx.windowScores(h, o.window as number, "sum"), nGroup, n);
        return unionRows(n, range(n - recent, n), topRows(ctx.rt, s, 0, n - recent, b - recent));
      });
    },
  }),
};
