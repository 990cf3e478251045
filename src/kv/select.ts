// Shared selection for KV policies: budgets, sinks, recency, and top-k over scores (through
// the topk kernel, ties broken by position), and the path every policy's layer goes through.
import type { Runtime } from "../wasm/runtime.ts";
import { topk } from "../wasm/ops/aggregate.ts";
import type { LayerContext, Scorer, Selection, SharedOptions } from "./policy.ts";

// Tokens a fixed-budget policy keeps out of n: `budget` when given, else round(ratio * n).
export function budgetOf(n: number, o: { ratio?: number; budget?: number }): number {
  const b = o.budget !== undefined ? o.budget : Math.round((o.ratio ?? 1) * n);
  return Math.max(0, Math.min(n, b));
}

// Rows whose original position is < sinks (positions ascending, so a prefix).
export function sinkCount(positions: Int32Array, sinks: number): number {
  let s = 0;
  while (s < positions.length && positions[s] < sinks) s++;
  return s;
}

// Ascending union of row lists.
export function unionRows(n: number, ...lists: ArrayLike<number>[]): Int32Array {
  const mark = new Uint8Array(n);
  for (const l of lists) for (let i = 0; i < l.length; i++) mark[l[i]] = 1;
  let c = 0;
  for (let i = 0; i < n; i++) c += mark[i];
  const out = new Int32Array(c);
  for (let i = 0, j = 0; i < n; i++) if (mark[i]) out[j++] = i;
  return out;
}

export function range(lo: number, hi: number): Int32Array {
  const out = new Int32Array(Math.max(0, hi - lo));
  for (let i = 0; i < out.length; i++) out[i] = lo + i;
  return out;
}

// The k best rows among rows [lo, hi) of `scores` (n), ties to the older row unless preferNewer.
export function topRows(rt: Runtime, scores: Float32Array, lo: number, hi: number, k: number, preferNewer = false): Int32Array {
  if (k <= 0 || hi <= lo) return new Int32Array(0);
  const t = rt.fromArray(scores.subarray(lo, hi));
  try {
    const idx = topk(t, k, { preferNewer });
    for (let i = 0; i < idx.length; i++) idx[i] += lo;
    return idx;
  } finally {
    t.dispose();
  }
}

// Sum of the nGroup rows of a (nGroup, n) score block: (n).
export function sumRows(block: Float32Array, nGroup: number, n: number, out = new Float32Array(n)): Float32Array {
  out.fill(0);
  for (let g = 0; g < nGroup; g++) for (let i = 0; i < n; i++) out[i] += block[g * n + i];
  return out;
}

// The shared selection path: what one layer keeps under a policy's scorer.
// Fixed budget, per unit (the layer, or each KV head with perHead) of n rows:
//   b = budget (ratio or count); b >= n keeps the unit whole (the whole layer when every unit is);
//   keep the s = min(sinks, b) sink rows, the r = min(recent, b - s) newest rows, and the top
//   b - s - r of the rest by score (ties to the older row), or the b rows pick() chooses.
// Adaptive (tolerance <= 0 keeps everything): the sink rows plus the rows cut() keeps.
export function selectLayer(name: string, adaptive: boolean, o: SharedOptions, sc: Scorer, ctx: LayerContext): Selection {
  if (adaptive && !((o.tolerance ?? 0) > 0)) return null;
  if (!sc.perHead) {
    const n = ctx.heads[0].n;
    if (ctx.heads.some((h) => h.n !== n)) throw new Error(`${name}: layer ${ctx.layer} was pruned per KV head; ${name} needs one cut per layer`);
    return selectUnit(adaptive, o, sc, ctx, undefined, n);
  }
  const rows = ctx.heads.map((head, h) => selectUnit(adaptive, o, sc, ctx, h, head.n));
  return rows.every((r) => r === null) ? null : rows.map((r, h) => r ?? range(0, ctx.heads[h].n));
}

function selectUnit(adaptive: boolean, o: SharedOptions, sc: Scorer, ctx: LayerContext, h: number | undefined, n: number): Int32Array | null {
  const sinks = sinkCount(ctx.positions(h ?? 0), o.sinks ?? 0);
  if (adaptive) return unionRows(n, range(0, sinks), sc.cut!(ctx, h, sinks));
  const b = sc.budget ? sc.budget(ctx, n) : budgetOf(n, o);
  if (b >= n) return null;
  if (sc.pick) return sc.pick(ctx, h, b);
  const s = Math.min(sinks, b);
  const r = Math.min(sc.recent ? sc.recent(b, n) : 0, b - s);
  const k = b - s - r, hi = n - r;
  const top = k > 0 ? topRows(ctx.rt, sc.score!(ctx, h, hi), s, hi, k) : new Int32Array(0);
  return unionRows(n, range(0, s), top, range(hi, n));
}
