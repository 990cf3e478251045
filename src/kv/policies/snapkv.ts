// SnapKV and PyramidKV. Per KV head: the attention of the last `window` prompt queries on each
// earlier position, summed over the window and averaged over the head's query group, 1-D max
// pooled (kernel 7), then the top (budget - window) earlier positions plus the window itself.
// PyramidKV uses the same scores with a budget falling linearly from the bottom layer to the top.
import type { LayerContext, PolicyFactory, Selection } from "../policy.ts";
import { BUDGET, EXEMPT, RATIO, WINDOW } from "./common.ts";
import { budgetOf, range, sumRows, topRows, unionRows } from "../select.ts";
import { pool1d } from "../../wasm/ops/aggregate.ts";

function snapSelect(ctx: LayerContext, window: number, kernel: number, keepOf: (n: number) => number): Selection {
  const nGroup = ctx.nHeads / ctx.nKvHeads;
  return ctx.heads.map((head, h) => {
    const n = head.n;
    const b = keepOf(n);
    if (b >= n) return range(0, n);
    const w = Math.min(window, n);
    if (b <= w) return range(n - b, n);
    const prefix = n - w;
    const s = sumRows(ctx.windowScores(h, w, "sum"), nGroup, n).subarray(0, prefix);
    for (let i = 0; i < prefix; i++) s[i] /= nGroup;
    const src = ctx.rt.fromArray(s), pooled = ctx.rt.tensor("f32", [prefix]);
    try {
      pool1d(pooled, src, { kernel, mode: "max" });
      return unionRows(n, topRows(ctx.rt, pooled.f32(), 0, prefix, b - w), range(prefix, n));
    } finally {
      src.dispose(); pooled.dispose();
    }
  });
}

const KERNEL = { type: "integer", min: 1, help: "1-D max-pooling kernel size (odd)" } as const;

export const snapkv: PolicyFactory = {
  name: "snapkv",
  summary: "SnapKV: pooled attention of the last prompt queries, per KV head, fixed budget",
  adaptive: false,
  options: { ratio: RATIO, budget: BUDGET, window: WINDOW, kernel: KERNEL, exemptLayers: EXEMPT },
  defaults: { ratio: 0.5, window: 32, kernel: 7, exemptLayers: [] },
  create: (o) => ({
    name: "snapkv", adaptive: false, window: o.window as number, exemptLayers: new Set(o.exemptLayers as number[]),
    select: (ctx) => snapSelect(ctx, o.window as number, o.kernel as number, (n) => budgetOf(n, o)),
  }),
};

export const pyramidkv: PolicyFactory = {
  name: "pyramidkv",
  summary: "PyramidKV: SnapKV scores with a per-layer budget falling linearly with depth (beta), fixed mean budget",
  adaptive: false,
  options: { ratio: RATIO, budget: BUDGET, window: WINDOW, kernel: KERNEL, beta: { type: "number", min: 1, help: "budget ratio bottom/top shape (PyramidKV's beta)" }, exemptLayers: EXEMPT },
  defaults: { ratio: 0.5, window: 32, kernel: 7, beta: 20, exemptLayers: [] },
  create: (o) => ({
    name: "pyramidkv", adaptive: false, window: o.window as number, exemptLayers: new Set(o.exemptLayers as number[]),
    select(ctx) {
      const w = o.window as number, beta = o.beta as number, L = ctx.nLayers;
      return snapSelect(ctx, w, o.kernel as number, (n) => {
        const C = budgetOf(n, o);
        if (C <= w) return C;
        const min = (C - w) / beta, max = 2 * (C - w) - min;
        const extra = L > 1 ? max - (ctx.layer * (max - min)) / (L - 1) : C - w;
        return Math.min(n, Math.round(extra) + w);
      });
    },
  }),
};
