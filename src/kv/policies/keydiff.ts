// KeyDiff (Park et al., arXiv 2504.15364; as NVIDIA/kvpress KeyDiffPress scores it): attention-
// free. Per KV head, the anchor is the mean of the L2-normalized keys of every row the head holds;
// a row's score is minus the cosine similarity of its key to the anchor, so the most distinctive
// keys are kept. Keys are post-RoPE, as the cache stores them. Fixed budget, per KV head.
import type { LayerContext } from "../policy.ts";
import { definePolicy } from "../define.ts";
import { withDefault } from "../schema.ts";
import { BUDGET, EXEMPT, RATIO, SINKS } from "./common.ts";

// (n) -cos(k_i, mean_j k_j / |k_j|) over KV head h's rows; a zero key (or anchor) scores 0
export function keyDiffScores(keys: Float32Array, n: number, d: number): Float32Array {
  const anchor = new Float64Array(d), norm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += keys[i * d + j] * keys[i * d + j];
    norm[i] = Math.sqrt(s);
    if (norm[i] > 0) for (let j = 0; j < d; j++) anchor[j] += keys[i * d + j] / norm[i] / n;
  }
  let an = 0;
  for (let j = 0; j < d; j++) an += anchor[j] * anchor[j];
  an = Math.sqrt(an);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (!(norm[i] > 0) || !(an > 0)) continue;
    let dot = 0;
    for (let j = 0; j < d; j++) dot += keys[i * d + j] * anchor[j];
    out[i] = -dot / (norm[i] * an);
  }
  return out;
}

export const keydiff = definePolicy({
  name: "keydiff",
  summary: "KeyDiff: keep the keys least similar to the head's mean key direction (attention-free), fixed budget",
  options: { ratio: RATIO, budget: BUDGET, sinks: withDefault(SINKS, 0), exemptLayers: withDefault(EXEMPT, []) },
  make: () => ({
    perHead: true,
    score: (ctx: LayerContext, h) => keyDiffScores(ctx.keys(h!), ctx.heads[h!].n, ctx.headDim),
  }),
});
