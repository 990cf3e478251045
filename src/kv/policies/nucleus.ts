// nucleus: budget-free top-p over attention mass (docs: shared/docs/dbudgetkv.md, last section).
// s[i] = mean over all query heads and the last `window` prompt queries of their attention on
// position i; rank the non-sink positions by s (ties: newer first) and keep the smallest set
// whose evicted mass / total mass <= T. Layer 0 exempt, sinks kept, one cut per layer (or per
// KV head with perHead). T <= 0 keeps everything. score() is s itself (per KV head or per layer),
// which headwise uses to spend the rows nucleus keeps across KV heads.
import type { LayerContext } from "../policy.ts";
import { definePolicy } from "../define.ts";
import { boolean, withDefault } from "../schema.ts";
import { EXEMPT, SINKS, TOLERANCE, WINDOW } from "./common.ts";
import { sumRows, topRows } from "../select.ts";
import { nucleusCut } from "../../wasm/ops/dbudget.ts";

// (n) mean attention of the window's queries from every query head of KV head h, or of the layer
function meanAttention(ctx: LayerContext, h: number | undefined, w: number): Float32Array {
  const nGroup = ctx.nHeads / ctx.nKvHeads;
  if (h !== undefined) {
    const n = ctx.heads[h].n;
    const s = sumRows(ctx.windowScores(h, w, "mean"), nGroup, n);
    for (let i = 0; i < n; i++) s[i] /= nGroup;
    return s;
  }
  const n = ctx.heads[0].n;
  const s = new Float32Array(n), part = new Float32Array(n);
  for (let k = 0; k < ctx.nKvHeads; k++) {
    sumRows(ctx.windowScores(k, w, "mean"), nGroup, n, part);
    for (let i = 0; i < n; i++) s[i] += part[i] / ctx.nHeads;
  }
  return s;
}

export const nucleus = definePolicy({
  name: "nucleus",
  summary: "nucleus (ours): budget-free; keep the smallest set holding 1 - T of the window's attention mass",
  adaptive: true,
  options: {
    tolerance: TOLERANCE, window: withDefault(WINDOW, 32), sinks: SINKS, exemptLayers: withDefault(EXEMPT, [0]),
    perHead: withDefault(boolean("one cut per KV head instead of per layer"), false),
  },
  make: (o) => ({
    window: o.window,
    perHead: o.perHead,
    // its ranking signal, per KV head or for the layer (headwise over nucleus compares heads by it)
    headScores: true,
    score: (ctx, h) => meanAttention(ctx, h, o.window),
    cut(ctx, h, sinks) {
      const s = meanAttention(ctx, h, o.window), n = s.length;
      const order = topRows(ctx.rt, s, sinks, n, n - sinks, true);
      const t = ctx.rt.fromArray(s);
      try {
        return order.subarray(0, nucleusCut(t, order, o.tolerance));
      } finally {
        t.dispose();
      }
    },
  }),
});
