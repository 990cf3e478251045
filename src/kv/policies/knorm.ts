// Knorm: keep the keys with the lowest L2 norm, per KV head.
import { definePolicy } from "../define.ts";
import { withDefault } from "../schema.ts";
import { BUDGET, EXEMPT, RATIO } from "./common.ts";

export const knorm = definePolicy({
  name: "knorm",
  summary: "Knorm: keep the keys with the lowest L2 norm (per KV head), fixed budget",
  options: { ratio: RATIO, budget: BUDGET, exemptLayers: withDefault(EXEMPT, []) },
  make: () => ({ perHead: true, score: (ctx, h) => ctx.keyNorms(h!).map((x) => -x) }),
});
