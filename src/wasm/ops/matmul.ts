// Matrix ops: kernel signatures (assembly/matmul.ts), their TypeScript fallback, and the
// tensor-level wrappers the rest of the library calls. Weights are W (n_out, n_in) row-major.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/matmul.ts";
import { expectDtype, f32At } from "./check.ts";
import { DTYPE_BLOCK, type DType } from "../dtype.ts";

export interface MatmulKernels {
  gemv_f32(W: number, x: number, y: number, n_in: number, r0: number, r1: number): void;
  // S: gemmF32ScratchFloats(m) f32 of scratch (the packed panels), overwritten
  gemm_f32(X: number, W: number, Y: number, S: number, m: number, n_in: number, n_out: number, n0: number, n1: number): void;
  // X packed whole once (pack_x) and shared: rows [r0, r1) of X into PX (packedXFloats(m, n_in))
  pack_x(X: number, PX: number, m: number, n_in: number, align: number, r0: number, r1: number): void;
  // gemm_f32 (m >= GEMM_PACK_MIN_M) over PX packed with align 4; S: GEMM_PX_SCRATCH_FLOATS
  gemm_f32_px(PX: number, W: number, Y: number, S: number, m: number, n_in: number, n_out: number, n0: number, n1: number): void;
}

// Scratch floats gemm_f32 needs for m rows (assembly/matmul.ts: one packed W panel, PKC x 8 =
// 256 x 8, an 8 x 8 edge tile, then the packed X block of PKC = 256 floats per row, its rows
// min(m, PMC) rounded up to whole register tiles of PMR <= 6 rows, so at most min(m + 5, 516);
// nothing below GEMM_PACK_MIN_M = 16 rows). Whatever n_in: a thread's buffer is allocated once for
// the largest m it will see (a 64-row prefill chunk: 79 KB; any m: GEMM_F32_SCRATCH_FLOATS, 536 KB).
export function gemmF32ScratchFloats(m: number): number {
  return m < GEMM_PACK_MIN_M ? 0 : PACKED_PANEL_FLOATS + packedXBlockFloats(m);
}
// the one fixed m at which the gemms switch to the packed form (assembly/matmul.ts GEMM_PACK_MIN_M)
export const GEMM_PACK_MIN_M = 16;
// the packed gemms' scratch, in order: one packed W panel (PKC x 8 = 256 x 8) and an 8 x 8 edge tile
export const PACKED_PANEL_FLOATS = 256 * 8 + 8 * 8;
// then, when the kernel packs X itself, one block of it: PKC = 256 floats per row, its rows
// min(m, PMC = 516) rounded up to whole register tiles of PMR <= 6 rows
export function packedXBlockFloats(m: number): number {
  return Math.min(m + 5, 516) * 256;
}
export const GEMM_F32_SCRATCH_FLOATS = gemmF32ScratchFloats(516);

// X packed whole for the gemms that share it (assembly/matmul.ts pack_x): packedRows(m) rows, m
// rounded up to a multiple of 30 (whole register tiles of either build's PMR, 5 or 6), of n_in floats.
// A part of the rows a thread packs starts at a multiple of PACKED_ROWS_ALIGN.
export const PACKED_ROWS_ALIGN = 30;
export function packedXFloats(m: number, n_in: number): number {
  return Math.ceil(m / PACKED_ROWS_ALIGN) * PACKED_ROWS_ALIGN * n_in;
}
// scratch floats of gemm_f32_px / gemm_<t>_px: the W panel, the edge tile, and a quantized
// gemm's panel of 8 W rows decoded (8 x PKC)
export const GEMM_PX_SCRATCH_FLOATS = PACKED_PANEL_FLOATS + 8 * 256;

export function matmulFallback(h: Heap): MatmulKernels {
  // the TypeScript build's "packed" X is a row-major copy (its gemm has no tiles)
  return {
    pack_x: (X, PX, _m, n_in, _align, r0, r1) => f32At(h, PX).set(f32At(h, X).subarray(r0 * n_in, r1 * n_in), r0 * n_in),
    gemm_f32_px: (PX, W, Y, _S, m, n_in, n_out, n0, n1) =>
      ref.gemm_f32(f32At(h, PX), f32At(h, W), f32At(h, Y), m, n_in, n_out, n0, n1),
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

// PX = X (m, n_in) packed whole for gemmPX, rows [r0, r1) (a multiple of PACKED_ROWS_ALIGN, r1 too
// unless r1 = m): align 4 for f32 weights, the quant block for quantized ones (packAlign)
//   PX: f32 with at least packedXFloats(m, n_in) elements (the caller owns it, shared by the threads)
export function packX(PX: Tensor, X: Tensor, m: number, align: number, r0 = 0, r1 = m): void {
  expectDtype("packX", "PX", PX, "f32");
  expectDtype("packX", "X", X, "f32");
  if (X.shape.length !== 2) throw new RangeError(`packX: X has shape [${X.shape.join(", ")}], expected 2 dims`);
  const n_in = X.shape[1];
  checkRange("packX", "row", 0, m, X.shape[0]);
  checkRange("packX", "part", r0, r1, m);
  if (r0 % PACKED_ROWS_ALIGN !== 0 || (r1 !== m && r1 % PACKED_ROWS_ALIGN !== 0)) throw new RangeError(`packX: part [${r0}, ${r1}) must start and end at multiples of ${PACKED_ROWS_ALIGN} (or end at m = ${m})`);
  if (align !== 4 && align !== 32 && align !== 256) throw new RangeError(`packX: align ${align} (4, 32 or 256)`);
  if (PX.size < packedXFloats(m, n_in)) throw new RangeError(`packX: PX has ${PX.size} floats, ${m} rows of ${n_in} need ${packedXFloats(m, n_in)} (packedXFloats)`);
  PX.rt.k.pack_x(X.ptr, PX.ptr, m, n_in, align, r0, r1);
}

// the packing block of a weight dtype (the k blocks of its packed gemm are whole multiples of it)
export function packAlign(dtype: string): number {
  if (!(dtype in GEMM_PX)) throw new TypeError(`packAlign: no packed gemm for W of dtype ${dtype}`);
  return dtype === "f32" ? 4 : DTYPE_BLOCK[dtype as DType][0];
}

// Y[i, j] = X[i, :] . W[j, :] for i in [0, m), j in [n0, n1), X given packed (packX with
// packAlign(W.dtype)): W f32 or quantized (n_out, n_in), PX packedXFloats(m, n_in), Y (>= m, n_out),
// m >= GEMM_PACK_MIN_M; scratch: GEMM_PX_SCRATCH_FLOATS, one per thread. The same bits as gemm / gemmQ.
export function gemmPX(Y: Tensor, PX: Tensor, W: Tensor, scratch: Tensor, m: number, n0 = 0, n1 = W.shape[0]): void {
  packAlign(W.dtype);
  for (const [name, t] of [["Y", Y], ["PX", PX], ["scratch", scratch]] as const) expectDtype("gemmPX", name, t, "f32");
  if (W.shape.length !== 2 || Y.shape.length !== 2) throw new RangeError(`gemmPX: W [${W.shape.join(", ")}] and Y [${Y.shape.join(", ")}] must be 2-D`);
  const [n_out, n_in] = W.shape;
  if (Y.shape[1] !== n_out) throw new RangeError(`gemmPX: Y has ${Y.shape[1]} columns, W has n_out = ${n_out}`);
  if (!Number.isInteger(m) || m < GEMM_PACK_MIN_M || m > Y.shape[0]) throw new RangeError(`gemmPX: m = ${m} must be in [${GEMM_PACK_MIN_M}, ${Y.shape[0]}] (Y's rows)`);
  checkRange("gemmPX", "column", n0, n1, n_out);
  if (PX.size < packedXFloats(m, n_in)) throw new RangeError(`gemmPX: PX has ${PX.size} floats, ${m} rows of ${n_in} need ${packedXFloats(m, n_in)}`);
  if (scratch.size < GEMM_PX_SCRATCH_FLOATS) throw new RangeError(`gemmPX: scratch has ${scratch.size} floats, needs ${GEMM_PX_SCRATCH_FLOATS}`);
  Y.rt.k[gemmPXName(W.dtype)](PX.ptr, W.ptr, Y.ptr, scratch.ptr, m, n_in, n_out, n0, n1);
}

const GEMM_PX = { f32: "gemm_f32_px", q8_0: "gemm_q8_0_px", q4_0: "gemm_q4_0_px", q5_0: "gemm_q5_0_px", q4_k: "gemm_q4_k_px", q6_k: "gemm_q6_k_px" } as const;
// the packed-X gemm kernel of a weight dtype
export function gemmPXName(dtype: string): (typeof GEMM_PX)[keyof typeof GEMM_PX] {
  const n = (GEMM_PX as Record<string, (typeof GEMM_PX)[keyof typeof GEMM_PX]>)[dtype];
  if (n === undefined) throw new TypeError(`gemmPX: no packed gemm for W of dtype ${dtype} (have ${Object.keys(GEMM_PX).join(", ")})`);
  return n;
}
export const GEMM_PX_KERNELS = Object.values(GEMM_PX);
