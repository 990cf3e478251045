// Linear layers split across worker threads by output rows. The single-thread wrappers check
// the arguments (called on an empty range), then the pool runs the row ranges.
import type { Tensor } from "../tensor.ts";
import type { ThreadPool } from "../threads.ts";
import type { Kernels } from "../kernels.ts";
import { gemm, gemv } from "./matmul.ts";
import { gemmQ, gemvQ } from "./qmatmul.ts";

// kernels a pool must be able to run for splitLinear
export const LINEAR_KERNELS: (keyof Kernels)[] = [
  "gemv_f32", "gemm_f32",
  "gemv_q8_0", "gemv_q4_0", "gemv_q4_k", "gemv_q6_k",
  "gemm_q8_0", "gemm_q4_0", "gemm_q4_k", "gemm_q6_k",
];

// Y (m, n_out) = X (m, n_in) @ W^T over the pool's threads; scratch[t]: thread t's panel buffer
// for quantized gemm (gemmScratchFloats(n_in) floats each).
export function splitLinear(pool: ThreadPool, y: Tensor, W: Tensor, x: Tensor, m: number, scratch: readonly Tensor[]): void {
  const [n_out, n_in] = W.shape;
  if (W.dtype === "f32") {
    if (m === 1) {
      gemv(y, W, x, 0, 0);
      pool.split("gemv_f32", [W.ptr, x.ptr, y.ptr, n_in, 0, n_out], 4, n_out, 4);
    } else {
      gemm(y, x, W, m, 0, 0);
      pool.split("gemm_f32", [x.ptr, W.ptr, y.ptr, m, n_in, n_out, 0, n_out], 6, n_out, 4);
    }
    return;
  }
  const t = W.dtype as "q8_0" | "q4_0" | "q4_k" | "q6_k";
  if (m === 1) {
    gemvQ(y, W, x, 0, 0);
    pool.split(`gemv_${t}`, [W.ptr, x.ptr, y.ptr, n_in, 0, n_out], 4, n_out, 4);
  } else {
    gemmQ(y, x, W, scratch[0], m, 0, 0);
    pool.split(`gemm_${t}`, [x.ptr, W.ptr, y.ptr, scratch[0].ptr, m, n_in, n_out, 0, n_out], 7, n_out, 32, (th, a) => { a[3] = scratch[th].ptr; });
  }
}
