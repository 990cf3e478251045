// CriticalKV (Feng et al., "Identify Critical KV Cache in LLM Inference from an Output
// Perturbation Perspective", arXiv 2502.03805; as NVIDIA/kvpress CriticalKVPress applies it) over
// a scoring policy (snapkv by default). Two stages per unit (KV head, or layer): stage 1 keeps the
// top floor(firstStage * k) rows by the wrapped policy's score (k: the rows the budget leaves to
// ranking, after the sinks and recent rows); stage 2 ranks the rest by (score + epsilon) times the
// L1 norm of the row's value through the output projection (W_o v, averaged over the query group).
// Options other than scorer, epsilon and firstStage are the wrapped policy's (ratio, budget, ...).
import type { LayerContext, Scorer, SharedOptions } from "../policy.ts";
import { definePolicy } from "../define.ts";
import { number, withDefault } from "../schema.ts";
import { budgetOf, sinkCount } from "../select.ts";
import { SCORER, innerScorer } from "./scorers.ts";

// (hi) scores over rows [0, hi) of a unit of n rows: rows [s, hi) ranked, `first` of them (the
// best by `base`) pinned above every other, the rest (base + eps) * vnorm
export function criticalScores(base: Float32Array, vnorm: Float32Array, s: number, hi: number, first: number, eps: number): Float32Array {
  const out = new Float32Array(hi);
  let top = 0;
  for (let i = s; i < hi; i++) { out[i] = (base[i] + eps) * vnorm[i]; if (out[i] > top) top = out[i]; }
  return pin(out, base, s, hi, first, top);
}

// rows of the `first` best base scores in [s, hi) (ties to the older row) get top + 1 + their base rank
function pin(out: Float32Array, base: Float32Array, s: number, hi: number, first: number, top: number): Float32Array {
  if (first <= 0) return out;
  const idx = Array.from({ length: hi - s }, (_, i) => s + i).sort((a, b) => base[b] - base[a] || a - b).slice(0, first);
  idx.forEach((r, k) => { out[r] = top + 1 + (first - k); });
  return out;
}

function criticalScorer(inner: Scorer, shared: SharedOptions, eps: number, firstStage: number): Scorer {
  return {
    ...inner,
    score(ctx: LayerContext, h: number | undefined, hi: number) {
      const unit = h ?? 0, n = ctx.heads[unit].n;
      const b = inner.budget ? inner.budget(ctx, n) : budgetOf(n, shared);
      const s = Math.min(sinkCount(ctx.positions(unit), shared.sinks ?? 0), b);
      const k = Math.max(0, b - s - (n - hi));
      const base = inner.score!(ctx, h, hi);
      // per KV head, that head's values; for a whole-layer cut, the mean over the layer's heads
      const vn = h !== undefined ? ctx.valueOutL1(h) : meanOverHeads(ctx);
      return criticalScores(base, vn, s, hi, Math.floor(firstStage * k), eps);
    },
  };
}

function meanOverHeads(ctx: LayerContext): Float32Array {
  const n = ctx.heads[0].n, out = new Float32Array(n);
  for (let h = 0; h < ctx.nKvHeads; h++) { const v = ctx.valueOutL1(h); for (let i = 0; i < n; i++) out[i] += v[i] / ctx.nKvHeads; }
  return out;
}

export const criticalkv = definePolicy({
  name: "criticalkv",
  summary: "CriticalKV: a scoring policy's top rows, then the rest ranked by score times |W_o v|_1 (scorer=snapkv by default), fixed budget",
  wraps: true,
  options: {
    scorer: SCORER,
    epsilon: withDefault(number("added to the score before it is weighted by the value norm", { min: 0 }), 1e-4),
    firstStage: withDefault(number("fraction of the ranked budget chosen by the wrapped score alone", { min: 0, max: 1 }), 0.5),
  },
  make(o, rest) {
    const { options, scorer } = innerScorer("criticalkv", o.scorer, rest);
    return { ...criticalScorer(scorer, options, o.epsilon, o.firstStage), shared: options };
  },
});
