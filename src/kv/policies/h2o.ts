// H2O, one-shot prefill variant: heavy hitters by the attention the last `window` queries give
// each position (per KV head, summed over its query heads), plus a recent window; the budget
// is split evenly between the two, as the official 10 % + 10 % setting does.
import { definePolicy } from "../define.ts";
import { withDefault } from "../schema.ts";
import { BUDGET, EXEMPT, RATIO, WINDOW } from "./common.ts";
import { sumRows } from "../select.ts";

export const h2o = definePolicy({
  name: "h2o",
  summary: "H2O: heavy hitters (attention of the last queries) plus recent tokens, fixed budget",
  options: { ratio: RATIO, budget: BUDGET, window: withDefault(WINDOW, 8), exemptLayers: withDefault(EXEMPT, []) },
  make: (o) => ({
    window: o.window,
    perHead: true,
    recent: (b) => Math.floor(b / 2),
    score: (ctx, h) => sumRows(ctx.windowScores(h!, o.window, "sum"), ctx.nHeads / ctx.nKvHeads, ctx.heads[h!].n),
  }),
});
