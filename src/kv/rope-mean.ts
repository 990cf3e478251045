// The RoPE rotation averaged over future positions, for expected attention: R = mean over
// p in [from, from + nFuture) of R_p, as a (headDim, headDim) row-major matrix, so R x is the
// mean of a pre-RoPE vector x rotated to those positions. Built with the model's own rope kernel
// (its style, rotated dims and frequencies) applied to the basis vectors: column j of R_p is
// R_p e_j. Allocates per call (a prune), never per token.
import type { Runtime } from "../wasm/runtime.ts";
import type { ModelConfig } from "../model/config.ts";
import { rope, ropeTable } from "../wasm/ops/rope.ts";

export function ropeMean(rt: Runtime, cfg: ModelConfig, freqFactors: Parameters<typeof ropeTable>[1]["freqFactors"], from: number, nFuture: number): Float64Array {
  if (!Number.isInteger(nFuture) || nFuture < 1) throw new RangeError(`ropeMean: nFuture = ${nFuture}, expected an integer >= 1`);
  const d = cfg.headDim, R = new Float64Array(d * d);
  const table = ropeTable(rt, { rotDim: cfg.ropeDim, theta: cfg.ropeTheta, scaling: cfg.ropeScaling, freqFactors, maxPos: from + nFuture });
  const x = rt.zeros([nFuture, d, d]);   // (nFuture, d "heads", d): head j of every row is e_j
  const pos = rt.tensor("i32", [nFuture]);
  try {
    const xs = x.f32(), ps = pos.i32();
    for (let p = 0; p < nFuture; p++) { ps[p] = from + p; for (let j = 0; j < d; j++) xs[(p * d + j) * d + j] = 1; }
    rope(x, table, pos, { nHeads: d, headDim: d, rotDim: cfg.ropeDim, style: cfg.ropeStyle });
    const xr = x.f32();
    for (let p = 0; p < nFuture; p++) for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) R[i * d + j] += xr[(p * d + j) * d + i] / nFuture;
    return R;
  } finally {
    table.dispose(); x.dispose(); pos.dispose();
  }
}
