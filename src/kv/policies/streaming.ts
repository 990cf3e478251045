// StreamingLLM: the first `sinks` positions plus the most recent b - sinks.
import type { PolicyFactory } from "../policy.ts";
import { BUDGET, EXEMPT, RATIO, SINKS } from "./common.ts";
import { budgetOf, range, sinkCount, unionRows } from "../select.ts";

export const streaming: PolicyFactory = {
  name: "streaming",
  summary: "StreamingLLM: attention sinks plus a recent window, fixed budget",
  adaptive: false,
  options: { ratio: RATIO, budget: BUDGET, sinks: SINKS, exemptLayers: EXEMPT },
  defaults: { ratio: 0.5, sinks: 4, exemptLayers: [] },
  create: (o) => ({
    name: "streaming", adaptive: false, window: 0, exemptLayers: new Set(o.exemptLayers as number[]),
    select(ctx) {
      const n = ctx.heads[0].n;
      const b = budgetOf(n, o);
      if (b >= n) return null;
      const s = Math.min(sinkCount(ctx.positions(0), o.sinks as number), b);
      return unionRows(n, range(0, s), range(n - (b - s), n));
    },
  }),
};
