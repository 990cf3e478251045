// headwise: AdaKV-style head-wise budgets (Feng et al., arXiv 2407.11550; as NVIDIA/kvpress
// AdaKVPress applies it) over any per-KV-head scoring policy. The layer keeps the same number of
// rows as the wrapped policy would (the sum of its per-head budgets b_h), but spends them across
// KV heads jointly: each head keeps its sinks and recent rows (the wrapped policy's), a safeguard
// of floor(alpha * k_h) of its own best candidates (k_h = b_h - sinks - recent), and the other
// sum_h (k_h - safeguard_h) rows go to the best candidates of all heads together, compared by
// normalized score (each head's candidate scores shifted to >= 0 and divided by their sum, so a
// head whose attention is spread out wins more rows than one that is concentrated).
// Options other than scorer and alpha are the wrapped policy's (ratio, budget, window, ...).
import type { LayerContext, Scorer, SharedOptions } from "../policy.ts";
import { definePolicy } from "../define.ts";
import { number, withDefault, type OptionSpec } from "../schema.ts";
import { budgetOf, range, sinkCount, topRows, unionRows } from "../select.ts";
import { SCORER_NAMES, innerScorer, normalizeScores } from "./scorers.ts";

export const SCORER: OptionSpec<string, true> = { type: "string", values: SCORER_NAMES, help: `the scoring policy wrapped (${SCORER_NAMES.join(", ")})`, default: "snapkv", hasDefault: true };

// Rows (per KV head, ascending) the layer keeps under head-wise allocation of sc's budgets.
export function headwiseSelect(ctx: LayerContext, inner: Scorer, o: SharedOptions, alpha: number): Int32Array[] | null {
  const H = ctx.nKvHeads;
  const units = ctx.heads.map((head, h) => {
    const n = head.n;
    const b = inner.budget ? inner.budget(ctx, n) : budgetOf(n, o);
    const s = Math.min(sinkCount(ctx.positions(h), o.sinks ?? 0), b);
    const r = Math.min(inner.recent ? inner.recent(b, n) : 0, b - s);
    return { n, b, s, hi: n - r, k: b - s - r };
  });
  if (units.every((u) => u.b >= u.n)) return null;
  // per head: its safeguard rows, and its candidates' normalized scores (-1 once safeguarded)
  const safe: Int32Array[] = [], norm: Float64Array[] = [];
  let pool = 0, total = 0;
  for (let h = 0; h < H; h++) {
    const u = units[h];
    const raw = u.hi > u.s ? inner.score!(ctx, h, u.hi) : new Float32Array(u.hi);
    const x = normalizeScores(raw, u.s, u.hi);
    const g = Math.min(u.k, Math.floor(alpha * u.k));
    const top = topRows(ctx.rt, Float32Array.from(x), 0, x.length, g);
    for (const i of top) x[i] = -1;
    safe.push(top);
    norm.push(x);
    pool += u.k - g;
    total += x.length;
  }
  // joint top `pool` over every head's remaining candidates (ties: lower head, then older row)
  const all = new Float32Array(total), head = new Int32Array(total), row = new Int32Array(total);
  for (let h = 0, j = 0; h < H; h++) for (let i = 0; i < norm[h].length; i++, j++) { all[j] = norm[h][i]; head[j] = h; row[j] = i; }
  const joint = topRows(ctx.rt, all, 0, total, pool);
  const picked: number[][] = Array.from({ length: H }, () => []);
  for (const j of joint) picked[head[j]].push(row[j]);
  return units.map((u, h) => {
    const cand = [...safe[h], ...picked[h]].map((i) => i + u.s);
    return unionRows(u.n, range(0, u.s), cand, range(u.hi, u.n));
  });
}

export const headwise = definePolicy({
  name: "headwise",
  summary: "AdaKV-style head-wise budgets over a scoring policy (scorer=snapkv by default): the layer's budget goes to the best normalized scores of all KV heads jointly",
  wraps: true,
  options: {
    scorer: SCORER,
    alpha: withDefault(number("safeguard: fraction of each head's own budget it keeps from its own best rows", { min: 0, max: 1 }), 0.2),
  },
  make(o, rest) {
    const { options, scorer } = innerScorer("headwise", o.scorer, rest, true);
    return {
      window: scorer.window, queries: scorer.queries, perHead: true, shared: options,
      layer: (ctx, shared) => headwiseSelect(ctx, scorer, shared, o.alpha),
    };
  },
});
