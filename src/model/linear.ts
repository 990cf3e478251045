// y = x @ W^T for the weight types the kernels read: f32 through gemv/gemm, quantized types
// through the quantized kernels (weights stay quantized). One token uses the matrix-vector
// kernel; a chunk uses the matrix-matrix one.
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import { gemm, gemv } from "../wasm/ops/matmul.ts";
import { gemmQ, gemvQ, gemmScratchFloats } from "../wasm/ops/qmatmul.ts";

export class Linear {
  private scratch: Tensor;  // panel buffer for the quantized gemm

  // maxIn: the widest n_in of any weight (the quantized gemm's panel scratch is sized by it)
  constructor(rt: Runtime, maxIn: number) {
    this.scratch = rt.tensor("f32", [gemmScratchFloats(maxIn)]);
  }

  // Y (m, n_out) = X (m, n_in) @ W (n_out, n_in)^T, rows of X and Y contiguous
  apply(y: Tensor, W: Tensor, x: Tensor, m: number): void {
    if (W.dtype === "f32") {
      if (m === 1) gemv(y, W, x);
      else gemm(y, x, W, m);
    } else {
      if (m === 1) gemvQ(y, W, x);
      else gemmQ(y, x, W, this.scratch, m);
    }
  }

  dispose(): void { this.scratch.dispose(); }
}
