// Matrix ops: kernel signatures (assembly/matmul.ts), their TypeScript fallback, and the
// tensor-level wrappers the rest of the library calls. Weights are W (n_out, n_in) row-major.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/matmul.ts";
import { expectDtype, f32At } from "./check.ts";

export interface MatmulKernels {
  gemv_f32(W: number, x: number, y: number, n_in: number, r0: number, r1: number): void;
  // S: gemmF32ScratchFloats(m) f32 of scratch (the packed panels), overwritten
  gemm_f32(X: number, W: number, Y: number, S: number, m: number, n_in: number, n_out: number, n0: number, n1: number): void;
}

// Scratch floats gemm_f32 needs for m rows (assembly/matmul.ts: one packed W panel, PKC x 8 =
// 256 x 8, an 8 x 8 edge tile, then the packed X block of PKC = 256 floats per row, its rows
// min(m, PMC) rounded up to whole register tiles of PMR <= 6 rows, so at most min(m + 5, 516);
// nothing below GEMM_PACK_MIN_M = 16 rows). Whatever n_in: a thread's buffer is allocated once for
// the largest m it will see (a 64-row prefill chunk: 79 KB; any m: GEMM_F32_SCRATCH_FLOATS, 536 KB).
export function gemmF32ScratchFloats(m: number): number {
  return m < 16 ? 0 : 256 * 8 + 8 * 8 + Math.min(m + 5, 516) * 256;
}
export const GEMM_F32_SCRATCH_FLOATS = gemmF32ScratchFloats(516);

export function matmulFallback(h: Heap): MatmulKernels {
  return {
    gemv_f32: (W, x, y, n_in, r0, r1) => ref.gemv_f32(f32At(h, W), f32At(h, x), f32At(h, y), n_in, r0, r1),
    gemm_f32: (X, W, Y, _S, m, n_in, n_out, n0, n1) =>
      ref.gemm_f32(f32At(h, X), f32At(h, W), f32At(h, Y), m, n_in, n_out, n0, n1),
  };
}

function checkRange(op: string, what: string, a: number, b: number, n: number): void {
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || a > b || b > n) {
    throw new RangeError(`${op}: ${what} range [${a}, ${b}) is not inside [0, ${n}]`);
  }
}

// y[r] = W[r, :] . x for r in [r0, r1)           W (n_out, n_in), x (n_in), y (n_out)
// x and y may be larger (run-state buffers sized for a chunk): their first n_in / n_out elements are used.
export function gemv(y: Tensor, W: Tensor, x: Tensor, r0 = 0, r1 = W.shape[0]): void {
  expectDtype("gemv", "y", y, "f32");
  expectDtype("gemv", "W", W, "f32");
  expectDtype("gemv", "x", x, "f32");
  if (W.shape.length !== 2) throw new RangeError(`gemv: W has shape [${W.shape.join(", ")}], expected (n_out, n_in)`);
  const [n_out, n_in] = W.shape;
  if (x.size < n_in) throw new RangeError(`gemv: x has ${x.size} elements, W has n_in = ${n_in}`);
  if (y.size < n_out) throw new RangeError(`gemv: y has ${y.size} elements, W has n_out = ${n_out}`);
  checkRange("gemv", "row", r0, r1, n_out);
  y.rt.k.gemv_f32(W.ptr, x.ptr, y.ptr, n_in, r0, r1);
}

// Y[i, j] = X[i, :] . W[j, :] for i in [0, m), j in [n0, n1)
//   X (>= m, n_in), W (n_out, n_in), Y (>= m, n_out) with the same first dim as X,
//   scratch: f32 with at least gemmF32ScratchFloats(m) elements, overwritten (the caller owns
//   it, so a call allocates nothing; one per thread)
// m may be smaller than X's first dim: chunk buffers are allocated for the largest chunk.
export function gemm(Y: Tensor, X: Tensor, W: Tensor, scratch: Tensor, m = X.shape[0], n0 = 0, n1 = W.shape[0]): void {
  for (const [name, t] of [["Y", Y], ["X", X], ["W", W], ["scratch", scratch]] as const) expectDtype("gemm", name, t, "f32");
  for (const [name, t] of [["Y", Y], ["X", X], ["W", W]] as const) {
    if (t.shape.length !== 2) throw new RangeError(`gemm: ${name} has shape [${t.shape.join(", ")}], expected 2 dims`);
  }
  const [n_out, n_in] = W.shape;
  if (X.shape[1] !== n_in) throw new RangeError(`gemm: X has ${X.shape[1]} columns, W has n_in = ${n_in}`);
  if (Y.shape[1] !== n_out) throw new RangeError(`gemm: Y has ${Y.shape[1]} columns, W has n_out = ${n_out}`);
  if (Y.shape[0] !== X.shape[0]) throw new RangeError(`gemm: Y has ${Y.shape[0]} rows, X has ${X.shape[0]}`);
  checkRange("gemm", "row", 0, m, X.shape[0]);
  checkRange("gemm", "column", n0, n1, n_out);
  const need = gemmF32ScratchFloats(m);
  if (scratch.size < need) throw new RangeError(`gemm: scratch has ${scratch.size} floats, ${m} rows need ${need} (gemmF32ScratchFloats)`);
  Y.rt.k.gemm_f32(X.ptr, W.ptr, Y.ptr, scratch.ptr, m, n_in, n_out, n0, n1);
}
