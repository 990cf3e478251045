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
  const a = pool.argv;
  if (W.dtype === "f32") {
    if (m === 1) {
      gemv(y, W, x, 0, 0);
      a[0] = W.ptr; a[1] = x.ptr; a[2] = y.ptr; a[3] = n_in;
      pool.split("gemv_f32", 6, 4, n_out, 4);
    } else {
      gemm(y, x, W, m, 0, 0);
      a[0] = x.ptr; a[1] = W.ptr; a[2] = y.ptr; a[3] = m; a[4] = n_in; a[5] = n_out;
      pool.split("gemm_f32", 8, 6, n_out, 4);
    }
    return;
  }
  const t = W.dtype as "q8_0" | "q4_0" | "q4_k" | "q6_k";
  if (m === 1) {
    gemvQ(y, W, x, 0, 0);
    a[0] = W.ptr; a[1] = x.ptr; a[2] = y.ptr; a[3] = n_in;
    pool.split(GEMV_Q[t], 6, 4, n_out, 4);
  } else {
    gemmQ(y, x, W, scratch[0], m, 0, 0);
    a[0] = x.ptr; a[1] = W.ptr; a[2] = y.ptr; a[3] = 0; a[4] = m; a[5] = n_in; a[6] = n_out;
    pool.split(GEMM_Q[t], 9, 7, n_out, 32, 3, scratch);
  }
}

const GEMV_Q = { q8_0: "gemv_q8_0", q4_0: "gemv_q4_0", q4_k: "gemv_q4_k", q6_k: "gemv_q6_k" } as const;
const GEMM_Q = { q8_0: "gemm_q8_0", q4_0: "gemm_q4_0", q4_k: "gemm_q4_k", q6_k: "gemm_q6_k" } as const;
