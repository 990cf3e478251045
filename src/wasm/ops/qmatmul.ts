// Quantized matmul ops: kernel signatures (assembly/qmatmul.ts), their TypeScript fallback,
// and the tensor-level wrappers. W is a 2-D tensor (n_out, n_in) of a quantized dtype,
// activations and outputs are f32.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import type { DType } from "../dtype.ts";
import * as ref from "../../ref/qmatmul.ts";
import * as refAct from "../../ref/qact.ts";
import { expectDtype, f32At, u8At } from "./check.ts";
import { GEMM_PACK_MIN_M, GEMM_PX_SCRATCH_FLOATS, packedXBlockFloats } from "./matmul.ts";

// The dtypes with WASM kernels.
export const Q_KERNEL_DTYPES = ["q8_0", "q4_0", "q4_k", "q6_k", "q5_0"] as const;
export type QKernelDType = (typeof Q_KERNEL_DTYPES)[number];

// The weight dtypes whose gemv also has an integer-dot kernel, gemv_<t>_<a>, over an activation
// row quantized once per matmul to the type llama.cpp pairs with it (its vec_dot_type): q8_0
// blocks (a Q8A row) for q8_0, q4_0 and q5_0, q8_K blocks (a Q8KA row) for the k-quants.
export const INT_DOT_ACT = { q8_0: "q8_0", q4_0: "q8_0", q5_0: "q8_0", q4_k: "q8_k", q6_k: "q8_k" } as const;
export type IntDotDType = keyof typeof INT_DOT_ACT;
export type ActQuant = (typeof INT_DOT_ACT)[IntDotDType];
export const INT_DOT_DTYPES = Object.keys(INT_DOT_ACT) as IntDotDType[];
// the integer-dot gemv kernel of each weight dtype
export const INT_DOT_GEMV = { q8_0: "gemv_q8_0_q8_0", q4_0: "gemv_q4_0_q8_0", q5_0: "gemv_q5_0_q8_0", q4_k: "gemv_q4_k_q8_k", q6_k: "gemv_q6_k_q8_k" } as const;
export function intDotAct(dtype: DType): ActQuant | undefined {
  return (INT_DOT_ACT as Partial<Record<DType, ActQuant>>)[dtype];
}
// bytes of one quantized activation row of n_in values: Q8A (n_in a multiple of 32: f32 scale per
// 32, i8 quants) or Q8KA (a multiple of 256: f32 scale per 256, i32 sum per 32, i8 quants)
export const q8aRowBytes = refAct.q8aRowBytes;
export const q8kaRowBytes = refAct.q8kaRowBytes;
const ACT_BLOCK: Record<ActQuant, number> = { q8_0: 32, q8_k: 256 };
// the kernel and the error-message name of each activation quantization, spelled once (not built per call)
const ACT_KERNEL = { q8_0: "quantize_rows_q8_0", q8_k: "quantize_rows_q8_k" } as const;
const ACT_OP = { q8_0: "quantizeRows(q8_0)", q8_k: "quantizeRows(q8_k)" } as const;
export function actRowBytes(a: ActQuant, n_in: number): number {
  return a === "q8_0" ? q8aRowBytes(n_in) : q8kaRowBytes(n_in);
}
// bytes a buffer needs for one activation row of up to maxIn values of either kind
export function actScratchBytes(maxIn: number): number {
  return Math.max(q8aRowBytes(Math.ceil(maxIn / 32) * 32), q8kaRowBytes(Math.ceil(maxIn / 256) * 256));
}

// W rows the gemm kernels decode at a time below QGEMM_PACK_MIN_M rows (row-major, QGEMM_PANEL *
// n_in floats of scratch); from QGEMM_PACK_MIN_M rows on, panels of 8 rows decoded straight into
// the packed layout of the f32 outer-product gemm (assembly/matmul.ts).
export const QGEMM_PANEL = 32;
export const QGEMM_PACK_MIN_M = GEMM_PACK_MIN_M;
// Scratch floats gemm_<t> needs for m rows of n_in (assembly/qmatmul.ts): m < 16, one decoded
// panel, QGEMM_PANEL * n_in; m >= 16, the packed W panel (PKC x 8 = 256 x 8), an 8 x 8 edge tile,
// the decoded panel (8 x 256), then the packed X block of PKC = 256 floats per row, its rows
// min(m, 516) rounded up to whole register tiles of PMR <= 6 rows, so at most min(m + 5, 516).
// A caller that sees every m up to some maxRows needs gemmScratchFloatsUpTo(n_in, maxRows).
export function gemmScratchFloats(n_in: number, m: number): number {
  return m < QGEMM_PACK_MIN_M ? QGEMM_PANEL * n_in : GEMM_PX_SCRATCH_FLOATS + packedXBlockFloats(m);
}
export function gemmScratchFloatsUpTo(n_in: number, maxRows = Infinity): number {
  return Math.max(gemmScratchFloats(n_in, Math.min(maxRows, QGEMM_PACK_MIN_M - 1)), gemmScratchFloats(n_in, maxRows));
}

// y[r] = dot(deq(W[r]), x), r in [r0, r1)
type Gemv = (W: number, x: number, y: number, n_in: number, r0: number, r1: number) => void;
// Y[i, c] = dot(X[i], deq(W[c])), i < m, c in [n0, n1); S: scratch of gemmScratchFloats(n_in, m) f32
type Gemm = (X: number, W: number, Y: number, S: number, m: number, n_in: number, n_out: number, n0: number, n1: number) => void;
// dst[r - r0] = deq(W[r]), r in [r0, r1)
type DequantRows = (W: number, dst: number, n_in: number, r0: number, r1: number) => void;
// row i of X (m, n_in) f32 -> Q8A / Q8KA row i at Xq + i * actRowBytes(n_in)
type QuantizeRows = (X: number, Xq: number, n_in: number, m: number) => void;

// gemm_<t> (m >= 16) over X packed whole by pack_x (matmul.ts packX, align: the quant block)
type GemmPX = Gemm;

export interface QmatmulKernels {
  gemm_q8_0_px: GemmPX; gemm_q4_0_px: GemmPX; gemm_q5_0_px: GemmPX; gemm_q4_k_px: GemmPX; gemm_q6_k_px: GemmPX;
  gemv_q8_0: Gemv; gemm_q8_0: Gemm; dequant_rows_q8_0: DequantRows;
  gemv_q4_0: Gemv; gemm_q4_0: Gemm; dequant_rows_q4_0: DequantRows;
  gemv_q5_0: Gemv; gemm_q5_0: Gemm; dequant_rows_q5_0: DequantRows;
  gemv_q4_k: Gemv; gemm_q4_k: Gemm; dequant_rows_q4_k: DequantRows;
  gemv_q6_k: Gemv; gemm_q6_k: Gemm; dequant_rows_q6_k: DequantRows;
  quantize_rows_q8_0: QuantizeRows; gemv_q8_0_q8_0: Gemv; gemv_q4_0_q8_0: Gemv; gemv_q5_0_q8_0: Gemv;
  quantize_rows_q8_k: QuantizeRows; gemv_q4_k_q8_k: Gemv; gemv_q6_k_q8_k: Gemv;
}

function fallbackFor(h: Heap, t: QKernelDType) {
  return {
    [`gemv_${t}`]: ((W, x, y, n_in, r0, r1) => ref.gemv_q(t, u8At(h, W), f32At(h, x), f32At(h, y), n_in, r0, r1)) as Gemv,
    [`gemm_${t}`]: ((X, W, Y, _S, m, n_in, n_out, n0, n1) => ref.gemm_q(t, f32At(h, X), u8At(h, W), f32At(h, Y), m, n_in, n_out, n0, n1)) as Gemm,
    // the TypeScript build's packed X is a row-major copy (matmulFallback's pack_x)
    [`gemm_${t}_px`]: ((PX, W, Y, _S, m, n_in, n_out, n0, n1) => ref.gemm_q(t, f32At(h, PX), u8At(h, W), f32At(h, Y), m, n_in, n_out, n0, n1)) as Gemm,
    [`dequant_rows_${t}`]: ((W, dst, n_in, r0, r1) => ref.dequant_rows_q(t, u8At(h, W), f32At(h, dst), n_in, r0, r1)) as DequantRows,
  };
}

function dotFallbackFor(h: Heap, t: IntDotDType) {
  const a = INT_DOT_ACT[t], dot = a === "q8_0" ? ref.gemv_q_q8_0 : ref.gemv_q_q8_k;
  return { [INT_DOT_GEMV[t]]: ((W, xq, y, n_in, r0, r1) => dot(t, u8At(h, W), u8At(h, xq), f32At(h, y), n_in, r0, r1)) as Gemv };
}

export function qmatmulFallback(h: Heap): QmatmulKernels {
  return Object.assign({
    quantize_rows_q8_0: ((X, Xq, n_in, m) => refAct.quantize_rows_q8_0(f32At(h, X), u8At(h, Xq), n_in, m)) as QuantizeRows,
    quantize_rows_q8_k: ((X, Xq, n_in, m) => refAct.quantize_rows_q8_k(f32At(h, X), u8At(h, Xq), n_in, m)) as QuantizeRows,
  }, ...Q_KERNEL_DTYPES.map((t) => fallbackFor(h, t)), ...INT_DOT_DTYPES.map((t) => dotFallbackFor(h, t))) as QmatmulKernels;
}

function quantized(op: string, W: Tensor): [QKernelDType, number, number] {
  if (!(Q_KERNEL_DTYPES as readonly DType[]).includes(W.dtype)) {
    throw new TypeError(`${op}: no quantized kernel for W of dtype ${W.dtype} (have ${Q_KERNEL_DTYPES.join(", ")})`);
  }
  if (W.shape.length !== 2) throw new RangeError(`${op}: W must be 2-D (n_out, n_in), got shape [${W.shape.join(", ")}]`);
  return [W.dtype as QKernelDType, W.shape[0], W.shape[1]];
}

function range(op: string, what: string, a: number, b: number, n: number): void {
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < a || b > n) {
    throw new RangeError(`${op}: ${what} range [${a}, ${b}) is not within [0, ${n}]`);
  }
}

function sized(op: string, name: string, t: Tensor, n: number): void {
  expectDtype(op, name, t, "f32");
  // a larger tensor is fine (run-state buffers are sized for the largest chunk): its first n elements are used
  if (t.size < n) throw new RangeError(`${op}: ${name} has ${t.size} elements (shape [${t.shape.join(", ")}]), needs ${n}`);
}

// y[r] = dot(deq(W[r]), x) for rows [r0, r1)          W (n_out, n_in) quantized, x (n_in), y (n_out)
export function gemvQ(y: Tensor, W: Tensor, x: Tensor, r0 = 0, r1 = W.shape[0]): void {
  const [t, n_out, n_in] = quantized("gemvQ", W);
  sized("gemvQ", "x", x, n_in);
  sized("gemvQ", "y", y, n_out);
  range("gemvQ", "row", r0, r1, n_out);
  (y.rt.k[`gemv_${t}`] as Gemv)(W.ptr, x.ptr, y.ptr, n_in, r0, r1);
}

// Y[i, c] = dot(X[i], deq(W[c])) for i < m, c in [n0, n1)   X (>= m, n_in), Y (>= m, n_out), W (n_out, n_in)
// scratch: f32 with at least gemmScratchFloats(n_in, m) elements, overwritten.
export function gemmQ(Y: Tensor, X: Tensor, W: Tensor, scratch: Tensor, m = X.shape[0], n0 = 0, n1 = W.shape[0]): void {
  const [t, n_out, n_in] = quantized("gemmQ", W);
  expectDtype("gemmQ", "X", X, "f32");
  expectDtype("gemmQ", "Y", Y, "f32");
  expectDtype("gemmQ", "scratch", scratch, "f32");
  if (X.shape.length !== 2 || X.shape[1] !== n_in) throw new RangeError(`gemmQ: X has shape [${X.shape.join(", ")}], expected (m, ${n_in})`);
  if (Y.shape.length !== 2 || Y.shape[1] !== n_out) throw new RangeError(`gemmQ: Y has shape [${Y.shape.join(", ")}], expected (m, ${n_out})`);
  range("gemmQ", "X row", 0, m, Math.min(X.shape[0], Y.shape[0]));
  range("gemmQ", "column", n0, n1, n_out);
  const need = gemmScratchFloats(n_in, m);
  if (scratch.size < need) throw new RangeError(`gemmQ: scratch has ${scratch.size} floats, ${m} rows of ${n_in} need ${need} (gemmScratchFloats)`);
  (Y.rt.k[`gemm_${t}`] as Gemm)(X.ptr, W.ptr, Y.ptr, scratch.ptr, m, n_in, n_out, n0, n1);
}

// dst = deq(W[r0 .. r1)), e.g. the embedding rows of a quantized token_embd   dst (r1 - r0, n_in)
export function dequantRows(dst: Tensor, W: Tensor, r0: number, r1 = r0 + 1, dstRow = 0): void {
  const [t, n_out, n_in] = quantized("dequantRows", W);
  range("dequantRows", "row", r0, r1, n_out);
  if (!Number.isInteger(dstRow) || dstRow < 0) throw new RangeError(`dequantRows: dstRow ${dstRow} must be an integer >= 0`);
  sized("dequantRows", "dst", dst, (dstRow + r1 - r0) * n_in);
  (dst.rt.k[`dequant_rows_${t}`] as DequantRows)(W.ptr, dst.ptr + dstRow * n_in * 4, n_in, r0, r1);
}

// Xq = X (m, n_in) quantized to m activation rows of kind a     Xq: u8, at least m * actRowBytes(a, n_in) bytes
export function quantizeRows(a: ActQuant, Xq: Tensor, X: Tensor, n_in: number, m = 1): void {
  const op = ACT_OP[a], block = ACT_BLOCK[a];
  if (block === undefined || op === undefined) throw new TypeError(`quantizeRows: unknown activation quantization ${a} (have q8_0, q8_k)`);
  expectDtype(op, "Xq", Xq, "u8");
  if (!Number.isInteger(n_in) || n_in <= 0 || n_in % block !== 0) throw new RangeError(`${op}: n_in ${n_in} must be a positive multiple of ${block}`);
  if (!Number.isInteger(m) || m < 0) throw new RangeError(`${op}: m ${m} must be an integer >= 0`);
  sized(op, "X", X, m * n_in);
  const need = m * actRowBytes(a, n_in);
  if (Xq.size < need) throw new RangeError(`${op}: Xq has ${Xq.size} bytes, needs ${need}`);
  (Xq.rt.k[ACT_KERNEL[a]] as QuantizeRows)(X.ptr, Xq.ptr, n_in, m);
}

// y[r] = W[r] . xq for rows [r0, r1), integer dot products   W (n_out, n_in) of an INT_DOT_DTYPES type,
// xq one activation row quantized to intDotAct(W.dtype) (quantizeRows), y (n_out)
export function gemvQInt(y: Tensor, W: Tensor, xq: Tensor, r0 = 0, r1 = W.shape[0]): void {
  const [t, n_out, n_in] = quantized("gemvQInt", W);
  const a = intDotAct(t);
  if (a === undefined) throw new TypeError(`gemvQInt: no integer-dot kernel for W of dtype ${t} (have ${INT_DOT_DTYPES.join(", ")})`);
  expectDtype("gemvQInt", "xq", xq, "u8");
  if (xq.size < actRowBytes(a, n_in)) throw new RangeError(`gemvQInt: xq has ${xq.size} bytes, needs ${actRowBytes(a, n_in)} (one ${a} activation row of ${n_in})`);
  sized("gemvQInt", "y", y, n_out);
  range("gemvQInt", "row", r0, r1, n_out);
  (y.rt.k[INT_DOT_GEMV[t as IntDotDType]] as Gemv)(W.ptr, xq.ptr, y.ptr, n_in, r0, r1);
}
