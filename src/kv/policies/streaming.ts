// StreamingLLM: the first `sinks` positions plus the most recent b - sinks.
import { definePolicy } from "../define.ts";
import { withDefault } from "../schema.ts";
import { BUDGET, EXEMPT, RATIO, SINKS } from "./common.ts";

export const streaming = definePolicy({
  name: "streaming",
  summary: "StreamingLLM: attention sinks plus a recent window, fixed budget",
  options: { ratio: RATIO, budget: BUDGET, sinks: SINKS, exemptLayers: withDefault(EXEMPT, []) },
  // every row past the sinks comes from the recent end: nothing is scored
  make: () => ({ recent: (b) => b }),
});
