// Expected attention (Devoto et al., "Expected Attention: KV cache compression by estimating
// attention from future queries distribution", arXiv 2510.00636; as NVIDIA/kvpress
// ExpectedAttentionPress scores it). Per KV head: the pre-RoPE queries of the last `window`
// tokens give a mean mu and covariance S per query head; both are rotated by the RoPE rotation R
// averaged over the next nFuture positions (mu' = R mu, S' = R S R^T); a key's expected attention
// is softmax over the non-sink keys of k.mu'/sqrt(d) + k^T S' k / (2d), averaged over the query
// group, then (score + epsilon) * |v|_2. No window of observed attention is needed, so it also
// prunes during decode (the window is then the last `window` decoded queries). Deviation from
// kvpress: statistics come from the last `window` queries, not the whole prompt (set window to
// the context size for the whole prompt). Fixed budget, per KV head.
import type { LayerContext } from "../policy.ts";
import { definePolicy } from "../define.ts";
import { boolean, integer, number, withDefault } from "../schema.ts";
import { BUDGET, EXEMPT, RATIO, SINKS, WINDOW } from "./common.ts";
import { sinkCount } from "../select.ts";

// (n) expected-attention scores of KV head h's rows (rows before `s0`, the sinks, score 0 and are
// left out of the softmax); mean (nGroup, d), cov (nGroup, d, d), R (d, d), keys/values (n, d)
export function expectedScores(mean: Float64Array, cov: Float64Array | undefined, R: Float64Array, keys: Float32Array, values: Float32Array | undefined, n: number, d: number, nGroup: number, s0: number, eps: number): Float32Array {
  const out = new Float32Array(n), z = new Float64Array(n), mu = new Float64Array(d), RS = new Float64Array(d * d), S = new Float64Array(d * d);
  for (let g = 0; g < nGroup; g++) {
    // mu' = R mu; S' = R S R^T
    for (let i = 0; i < d; i++) { let a = 0; for (let j = 0; j < d; j++) a += R[i * d + j] * mean[g * d + j]; mu[i] = a; }
    if (cov) {
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) { let a = 0; for (let k = 0; k < d; k++) a += R[i * d + k] * cov[(g * d + k) * d + j]; RS[i * d + j] = a; }
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) { let a = 0; for (let k = 0; k < d; k++) a += RS[i * d + k] * R[j * d + k]; S[i * d + j] = a; }
    }
    let max = -Infinity;
    for (let r = s0; r < n; r++) {
      let a = 0;
      for (let i = 0; i < d; i++) a += keys[r * d + i] * mu[i];
      a /= Math.sqrt(d);
      if (cov) {
        let q = 0;
        for (let i = 0; i < d; i++) { let t = 0; for (let j = 0; j < d; j++) t += S[i * d + j] * keys[r * d + j]; q += keys[r * d + i] * t; }
        a += q / (2 * d);
      }
      z[r] = a;
      if (a > max) max = a;
    }
    let sum = 0;
    for (let r = s0; r < n; r++) { z[r] = Math.exp(z[r] - max); sum += z[r]; }
    for (let r = s0; r < n; r++) out[r] += z[r] / sum / nGroup;
  }
  if (values) {
    for (let r = s0; r < n; r++) {
      let v = 0;
      for (let i = 0; i < d; i++) v += values[r * d + i] * values[r * d + i];
      out[r] = (out[r] + eps) * Math.sqrt(v);
    }
  }
  return out;
}

export const expectedAttention = definePolicy({
  name: "expected-attention",
  summary: "Expected Attention: scores from the statistics of future queries (no observed attention), per KV head, fixed budget",
  options: {
    ratio: RATIO, budget: BUDGET, sinks: SINKS, window: withDefault(WINDOW, 64), exemptLayers: withDefault(EXEMPT, []),
    nFuture: withDefault(integer("future positions the RoPE rotation is averaged over", { min: 1 }), 512),
    covariance: withDefault(boolean("use the queries' covariance, not only their mean"), true),
    vnorm: withDefault(boolean("weight by the value's L2 norm"), true),
    epsilon: withDefault(number("added to the score before the value-norm weight", { min: 0 }), 0),
  },
  make: (o) => ({
    window: o.window,
    queries: true,
    perHead: true,
    score(ctx: LayerContext, h) {
      const b = ctx.heads[h!], d = ctx.headDim, { mean, cov } = ctx.queryStats(h!);
      const s0 = sinkCount(ctx.positions(h!), o.sinks);
      return expectedScores(mean, o.covariance ? cov : undefined, ctx.ropeMean(o.nFuture), ctx.keys(h!), o.vnorm ? ctx.values(h!) : undefined, b.n, d, ctx.nHeads / ctx.nKvHeads, s0, o.epsilon);
    },
  }),
});
