// y = x @ W^T for the weight types the kernels read: f32 through gemv/gemm, quantized types
// through the quantized kernels (weights stay quantized). One token uses the matrix-vector
// kernel; a chunk uses the matrix-matrix one. One token through q8_0, q4_0, q4_k or q6_k weights
// quantizes its activation row once (q8_0 or q8_K blocks) and takes integer dot products, as
// llama.cpp's CPU backend does (a chunk still multiplies dequantized panels in f32). With a thread pool, output
// rows are split across its threads (same bits as one thread).
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import type { ThreadPool } from "../wasm/threads.ts";
import { gemm, gemv } from "../wasm/ops/matmul.ts";
import { actScratchBytes, gemmQ, gemvQ, gemvQInt, gemmScratchFloats, intDotAct, quantizeRows } from "../wasm/ops/qmatmul.ts";
import { splitLinear } from "../wasm/ops/parallel.ts";

// One token through a weight smaller than this runs on the calling thread alone: handing a
// part to a worker (store, notify, its wake-up or spin, and the wait for it) costs a few
// microseconds, about what streaming 64 KiB of weights takes at 15-20 GB/s, so below it the
// pool cannot win. (An estimate from those figures, not a measured crossover: the machine was
// too loaded to time it; bench/e2e.ts on the tiny models at 1 and 2 threads is the check.)
// The result is the same bits either way (every row is summed in the same order).
export const SPLIT_MIN_BYTES = 64 * 1024;

export class Linear {
  private scratch: Tensor[];  // per thread: the quantized gemm's panel buffer
  private xq: Tensor;         // (actScratchBytes(maxIn)) u8: one activation row quantized for the integer gemv

  // maxIn: the widest n_in of any weight (the quantized gemm's panel scratch is sized by it)
  constructor(rt: Runtime, maxIn: number, private readonly pool?: ThreadPool) {
    this.scratch = [];
    for (let t = 0; t < (pool?.threads ?? 1); t++) this.scratch.push(rt.tensor("f32", [gemmScratchFloats(maxIn)]));
    this.xq = rt.tensor("u8", [actScratchBytes(maxIn)]);
  }

  // Y (m, n_out) = X (m, n_in) @ W (n_out, n_in)^T, rows of X and Y contiguous
  apply(y: Tensor, W: Tensor, x: Tensor, m: number): void {
    if (this.pool && (m > 1 || W.nbytes >= SPLIT_MIN_BYTES)) splitLinear(this.pool, y, W, x, m, this.scratch, this.xq);
    else if (W.dtype === "f32") {
      if (m === 1) gemv(y, W, x);
      else gemm(y, x, W, m);
    } else {
      const act = m === 1 ? intDotAct(W.dtype) : undefined;
      if (act !== undefined) {
        quantizeRows(act, this.xq, x, W.shape[1]);
        gemvQInt(y, W, this.xq);
      } else if (m === 1) gemvQ(y, W, x);
      else gemmQ(y, x, W, this.scratch[0], m);
    }
  }

  dispose(): void {
    for (const t of this.scratch) t.dispose();
    this.xq.dispose();
  }
}
