// y = x @ W^T for the weight types the kernels read: f32 through gemv/gemm, quantized types
// through the quantized kernels (weights stay quantized). One token uses the matrix-vector
// kernel; a chunk uses the matrix-matrix one. One token through q8_0, q4_0, q4_k or q6_k weights
// quantizes its activation row once (q8_0 or q8_K blocks) and takes integer dot products, as
// llama.cpp's CPU backend does (a chunk still multiplies dequantized panels in f32). With a thread pool, output
// rows are split across its threads (same bits as one thread).
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import type { ThreadPool } from "../wasm/threads.ts";
import { GEMM_PACK_MIN_M, GEMM_PX_SCRATCH_FLOATS, gemmF32ScratchFloats, gemm, gemmPX, gemv, packAlign, packX, packedXFloats } from "../wasm/ops/matmul.ts";
import { actScratchBytes, gemmQ, gemvQ, gemvQInt, gemmScratchFloatsUpTo, intDotAct, quantizeRows } from "../wasm/ops/qmatmul.ts";
import { splitGemmPX, splitLinear, splitPackX } from "../wasm/ops/parallel.ts";

// f32 scratch a thread's gemm needs for weights up to maxIn wide and chunks of up to maxRows rows:
// the f32 gemm's packed panels or the quantized gemm's (a decoded row-major panel below 16 rows,
// packed panels and X block from 16 on), whichever is larger (one buffer serves both)
export function linearScratchFloats(maxIn: number, maxRows = Infinity): number {
  return Math.max(gemmF32ScratchFloats(maxRows), gemmScratchFloatsUpTo(maxIn, maxRows));
}

export class Linear {
  private scratch: Tensor[];  // per thread: the gemm's panel buffer (f32; sized below)
  private xq: Tensor;         // (actScratchBytes(maxIn)) u8: one activation row quantized for the integer gemv
  // (packedXFloats(maxRows, maxIn)) f32: a chunk's X packed whole once, read by every thread's
  // gemm and by the next apply() on the same input (q, k, v; gate, up); only with a finite maxRows
  private px?: Tensor;
  // what px holds: X's pointer, rows, width and packing block (ptr -1: nothing)
  private packedPtr = -1;
  private packedM = 0;
  private packedIn = 0;
  private packedAlign = 0;

  // maxIn: the widest n_in of any weight (the quantized gemm's panel scratch is sized by it);
  // maxRows: the most rows one apply() gets (the f32 gemm's packed X block is sized by it)
  constructor(rt: Runtime, maxIn: number, private readonly pool?: ThreadPool, maxRows = Infinity) {
    this.scratch = [];
    if (Number.isFinite(maxRows) && maxRows >= GEMM_PACK_MIN_M) this.px = rt.tensor("f32", [packedXFloats(maxRows, maxIn)]);
    // with px, every gemm of GEMM_PACK_MIN_M rows or more reads it, so a thread's buffer holds only
    // the panels (GEMM_PX_SCRATCH_FLOATS) or a small chunk's decoded panel, not a packed X block
    const floats = this.px ? Math.max(GEMM_PX_SCRATCH_FLOATS, linearScratchFloats(maxIn, GEMM_PACK_MIN_M - 1)) : linearScratchFloats(maxIn, maxRows);
    for (let t = 0; t < (pool?.threads ?? 1); t++) this.scratch.push(rt.tensor("f32", [floats]));
    this.xq = rt.tensor("u8", [actScratchBytes(maxIn)]);
  }

  // Y (m, n_out) = X (m, n_in) @ W (n_out, n_in)^T, rows of X and Y contiguous.
  // xUnchanged: x is the previous apply()'s input and has not been written since, so a chunk's
  // packed copy of it is reused when the shape and packing block match (the q, k, v projections
  // read one x, as do gate and up); the result has the same bits either way.
  apply(y: Tensor, W: Tensor, x: Tensor, m: number, xUnchanged = false): void {
    const px = this.px;
    if (px && m >= GEMM_PACK_MIN_M) {
      // packX and gemmPX check the rest (rows, px's size, Y's shape) with errors that name it
      if (W.shape[1] !== x.shape[1]) throw new RangeError(`Linear: x has ${x.shape[1]} columns, W has n_in = ${W.shape[1]}`);
      const align = packAlign(W.dtype);
      if (!(xUnchanged && this.packedPtr === x.ptr && this.packedM === m && this.packedIn === x.shape[1] && this.packedAlign === align)) {
        this.packedPtr = -1;
        if (this.pool) splitPackX(this.pool, px, x, m, align);
        else packX(px, x, m, align);
        this.packedPtr = x.ptr; this.packedM = m; this.packedIn = x.shape[1]; this.packedAlign = align;
      }
      if (this.pool) splitGemmPX(this.pool, y, px, W, m, this.scratch);
      else gemmPX(y, px, W, this.scratch[0], m);
      return;
    }
    this.packedPtr = -1;
    if (this.pool) splitLinear(this.pool, y, W, x, m, this.scratch, this.xq);
    else if (W.dtype === "f32") {
      if (m === 1) gemv(y, W, x);
      else gemm(y, x, W, this.scratch[0], m);
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
    this.px?.dispose();
  }
}
