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
      const w = o.window as number;
      return snapSelect(ctx, w, o.kernel as number, (n) => pyramidBudgets(budgetOf(n, o), n, w, o.beta as number, ctx.nLayers)[ctx.layer]);
    },
  }),
};

// PyramidKV's per-layer budgets for a mean budget C over L layers of n tokens: the window w plus
// a share falling linearly from max at layer 0 to min = (C - w)/beta at the top, max = 2(C - w) - min.
// A layer cannot keep more than n: what a clamped layer cannot take is shared among the others
// (their budgets grow in proportion), so the mean stays C whenever C <= n.
export function pyramidBudgets(C: number, n: number, w: number, beta: number, L: number): number[] {
  if (C <= w || L === 1) return Array(L).fill(Math.min(C, n));
  const min = (C - w) / beta, max = 2 * (C - w) - min;
  const b = Array.from({ length: L }, (_, l) => w + max - (l * (max - min)) / (L - 1));
  for (let iter = 0; iter < L; iter++) {
    let excess = 0, free = 0;
    for (const x of b) { if (x > n) excess += x - n; else if (x < n) free += x - w; }
    if (excess === 0 || free <= 0) break;
    for (let l = 0; l < L; l++) b[l] = b[l] >= n ? n : b[l] + (excess * (b[l] - w)) / free;
  }
  // integers that sum to round(L * C): largest remainders
  const total = Math.min(Math.round(L * C), L * n);
  const fl = b.map((x) => Math.min(n, Math.floor(x)));
  let left = total - fl.reduce((a, x) => a + x, 0);
  const order = b.map((x, l) => [x - Math.floor(x), l] as const).sort((a, c) => c[0] - a[0] || a[1] - c[1]);
  for (const [, l] of order) { if (left <= 0) break; if (fl[l] < n) { fl[l]++; left--; } }
  return fl;
}
