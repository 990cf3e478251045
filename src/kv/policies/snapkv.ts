// SnapKV and PyramidKV. Per KV head: the attention of the last `window` prompt queries on each
// earlier position, summed over the window and averaged over the head's query group, 1-D max
// pooled (kernel 7), then the top (budget - window) earlier positions plus the window itself.
// PyramidKV uses the same scores with a budget falling linearly from the bottom layer to the top.
import type { LayerContext, Scorer } from "../policy.ts";
import { definePolicy } from "../define.ts";
import { integer, number, withDefault } from "../schema.ts";
import { BUDGET, EXEMPT, RATIO, WINDOW } from "./common.ts";
import { budgetOf, sumRows } from "../select.ts";
import { pool1d } from "../../wasm/ops/aggregate.ts";

// (hi) pooled window attention on KV head h's rows [0, hi), the rows before the window
function snapScore(ctx: LayerContext, h: number, window: number, kernel: number, hi: number): Float32Array {
  const n = ctx.heads[h].n, nGroup = ctx.nHeads / ctx.nKvHeads;
  const s = sumRows(ctx.windowScores(h, Math.min(window, n), "sum"), nGroup, n).subarray(0, hi);
  for (let i = 0; i < hi; i++) s[i] /= nGroup;
  const src = ctx.rt.fromArray(s), pooled = ctx.rt.tensor("f32", [hi]);
  try {
    pool1d(pooled, src, { kernel, mode: "max" });
    return pooled.toFloat32Array();
  } finally {
    src.dispose(); pooled.dispose();
  }
}

const KERNEL = withDefault(integer("1-D max-pooling kernel size (odd)", { min: 1 }), 7);
const SNAP = { ratio: RATIO, budget: BUDGET, window: withDefault(WINDOW, 32), kernel: KERNEL, exemptLayers: withDefault(EXEMPT, []) };

// the window itself is the recent part of the budget; the rest is ranked by pooled attention
const snapScorer = (o: { window: number; kernel: number }): Scorer => ({
  window: o.window,
  perHead: true,
  recent: (_b, n) => Math.min(o.window, n),
  score: (ctx, h, hi) => snapScore(ctx, h!, o.window, o.kernel, hi),
});

export const snapkv = definePolicy({
  name: "snapkv",
  summary: "SnapKV: pooled attention of the last prompt queries, per KV head, fixed budget",
  options: SNAP,
  make: snapScorer,
});

export const pyramidkv = definePolicy({
  name: "pyramidkv",
  summary: "PyramidKV: SnapKV scores with a per-layer budget falling linearly with depth (beta), fixed mean budget",
  options: { ...SNAP, beta: withDefault(number("budget ratio bottom/top shape (PyramidKV's beta)", { min: 1 }), 20) },
  make: (o) => ({
    ...snapScorer(o),
    budget: (ctx, n) => pyramidBudgets(budgetOf(n, o), n, o.window, o.beta, ctx.nLayers)[ctx.layer],
  }),
});

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
