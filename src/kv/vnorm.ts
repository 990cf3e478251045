// Values seen through the output projection, for CriticalKV: for KV head h's rows, the L1 norm
// of W_o[:, head g] @ v_i for every query head g of h's group, averaged over the group.
// Runs the model's own linear kernels (any weight type) on a zero-padded (n, nHeads*headDim)
// block per query head. Allocates per call (a prune), never per token.
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import type { Linear } from "../model/linear.ts";

// v: (>= n, headDim) KV head h's value rows as f32; wo: (dim, nHeads*headDim). Returns (n).
export function projectedValueL1(rt: Runtime, lin: Linear, wo: Tensor, v: Float32Array, n: number, h: number, nHeads: number, nKvHeads: number, headDim: number): Float32Array {
  const out = new Float32Array(n);
  if (n === 0) return out;
  const qDim = nHeads * headDim, dim = wo.shape[0], nGroup = nHeads / nKvHeads;
  const x = rt.zeros([n, qDim]);     // (n, qDim): v in head g's columns, zeros elsewhere
  let y: Tensor | undefined;
  try {
    y = rt.tensor("f32", [n, dim]);  // (n, dim)
    for (let g = 0; g < nGroup; g++) {
      const col = (h * nGroup + g) * headDim;
      const xx = x.f32();
      xx.fill(0);
      for (let i = 0; i < n; i++) xx.set(v.subarray(i * headDim, (i + 1) * headDim), i * qDim + col);
      lin.apply(y, wo, x, n);
      const yy = y.f32();
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += Math.abs(yy[i * dim + j]);
        out[i] += s / nGroup;
      }
    }
    return out;
  } finally {
    x.dispose();
    y?.dispose();
  }
}
