// threshold: a DMSPress-style wrapper (NVIDIA/kvpress DMSPress, after Łańcucki et al., "Inference-
// time hyper-scaling with KV cache compression", arXiv 2506.05345) over any scoring policy: no
// budget; a row is evicted when its normalized score falls below the tolerance T. The newest
// `recent` rows (and the wrapped policy's own recent rows, e.g. SnapKV's window) are protected,
// as DMS's sliding window is. Normalized score: the wrapped policy's scores of the unit's
// candidate rows (after the sinks, before the protected rows), shifted to be >= 0 when any is
// negative, divided by their sum and multiplied by their count, so 1 is a uniform share and T is
// a fraction of it. Per KV head when the wrapped policy scores per head, else per layer. Works at
// prefill and during decode (phase, interval). T <= 0 keeps everything.
import { definePolicy } from "../define.ts";
import { integer, withDefault } from "../schema.ts";
import { EXEMPT, SINKS, TOLERANCE } from "./common.ts";
import { SCORER, innerScorer, normalizeScores } from "./scorers.ts";

// Candidate rows [lo, hi) kept: those whose share times their count is >= t (ascending indices).
export function thresholdRows(scores: Float32Array, lo: number, hi: number, t: number): number[] {
  const x = normalizeScores(scores, lo, hi), m = x.length, keep: number[] = [];
  for (let i = 0; i < m; i++) if (x[i] * m >= t) keep.push(lo + i);
  return keep;
}

export const threshold = definePolicy({
  name: "threshold",
  summary: "DMSPress-style: budget-free; evict rows whose normalized score (1 = uniform share) is below T, over any scoring policy",
  adaptive: true,
  wraps: true,
  options: {
    scorer: SCORER,
    tolerance: withDefault(TOLERANCE, 0.1),
    recent: withDefault(integer("newest rows never evicted (DMS's sliding window)", { min: 0 }), 0),
    sinks: SINKS,
    exemptLayers: withDefault(EXEMPT, []),
  },
  make(o, rest) {
    for (const k of ["ratio", "budget"]) if (rest[k] !== undefined) throw new RangeError(`KV policy "threshold" is budget-free: it has no option "${k}" (give tolerance)`);
    const { options, scorer } = innerScorer("threshold", o.scorer, rest);
    // the newest rows never evicted out of n (the wrapped policy's recent rows at its full budget)
    const protect = (n: number) => Math.max(o.recent, scorer.recent ? scorer.recent(n, n) : 0);
    return {
      window: scorer.window, queries: scorer.queries, lastQuery: scorer.lastQuery, perHead: scorer.perHead, shared: options,
      // for headwise over threshold: the wrapped scores and the protected rows
      score: scorer.score,
      recent: (_b, n) => protect(n),
      cut(ctx, h, sinks) {
        const n = ctx.heads[h ?? 0].n;
        const r = Math.min(n - sinks, protect(n));
        const hi = n - r;
        const keep = hi > sinks ? thresholdRows(scorer.score!(ctx, h, hi), sinks, hi, o.tolerance) : [];
        for (let i = hi; i < n; i++) keep.push(i);
        return Int32Array.from(keep);
      },
    };
  },
});
