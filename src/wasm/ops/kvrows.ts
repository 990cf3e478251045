// KV rows in f16 and Q8_0 (assembly/kvrows.ts): kernel signatures, their TypeScript fallback, and
// the wrappers the KV store calls to write rows as it appends and to read them back as f32 (for
// the policies that score keys or values, and for tests). f32 rows are plain copies (copy.ts).
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/kvrows.ts";
import { type KVType, kvRowBytes } from "../../kv/kv-type.ts";
import { expectDtype, f32At, u8At } from "./check.ts";
import { copyStrided } from "./copy.ts";

type Quantize = (x: number, x_stride: number, y: number, d: number, m: number) => void;
// mu: pointer to d f32 subtracted from every row first, 0 = none
type QuantizeCentered = (x: number, x_stride: number, y: number, d: number, m: number, mu: number) => void;
type Dequantize = (y: number, x: number, d: number, m: number) => void;
export type KVRowKernels = { kv_quantize_rows_f16: QuantizeCentered; kv_quantize_rows_q8_0: QuantizeCentered } & { [K in `kv_dequantize_rows_${"f16" | "q8_0"}`]: Dequantize };

export function kvRowsFallback(h: Heap): KVRowKernels {
  const k: Partial<KVRowKernels> = {};
  for (const t of ["f16", "q8_0"] as const) {
    k[`kv_quantize_rows_${t}`] = (x, xs, y, d, m, mu) => ref.kv_quantize_rows(t, f32At(h, x), xs, u8At(h, y), d, m, mu ? f32At(h, mu).subarray(0, d) : undefined);
  }
  for (const t of ["f16", "q8_0"] as const) {
    k[`kv_dequantize_rows_${t}`] = (y, x, d, m) => ref.kv_dequantize_rows(t, u8At(h, y), f32At(h, x), d, m);
  }
  return k as KVRowKernels;
}

// kernel names by KV type, so reading rows builds no strings
const DEQUANTIZE = { f16: "kv_dequantize_rows_f16", q8_0: "kv_dequantize_rows_q8_0" } as const;

function rowsIn(op: string, t: Tensor, type: KVType, headDim: number, row0: number, n: number, what: string): void {
  expectDtype(op, what, t, type === "f32" ? "f32" : "u8");
  const cap = type === "f32" ? t.size / headDim : t.size / kvRowBytes(type, headDim);
  if (!Number.isInteger(row0) || row0 < 0 || row0 + n > cap) throw new RangeError(`${op}: ${what} rows [${row0}, ${row0 + n}) outside its ${Math.floor(cap)} rows`);
}

// rows dstRow .. dstRow+m-1 of dst (KV rows of `type`) = the f32 rows src[srcOff + i*srcStride ..
// + headDim), i < m, rounded to the type. src: f32; dst: f32 (rows, headDim) or u8 (rows, rowBytes).
// mu (f16 and q8_0 rows): the f32 values at mu.ptr + 4 * muOff .. + headDim are subtracted from every row
// before it is quantized (the store's key centering).
export function writeKVRows(dst: Tensor, type: KVType, headDim: number, dstRow: number, src: Tensor, srcOff: number, srcStride: number, m: number,
                            mu?: Tensor, muOff = 0): void {
  const op = "writeKVRows";
  if (m <= 0) return;
  rowsIn(op, dst, type, headDim, dstRow, m, "dst");
  if (type === "f32") { copyStrided(dst, dstRow * headDim, headDim, src, srcOff, srcStride, m, headDim); return; }
  expectDtype(op, "src", src, "f32");
  if (srcOff < 0 || srcOff + (m - 1) * srcStride + headDim > src.size) throw new RangeError(`${op}: src rows outside its ${src.size} elements`);
  const y = dst.ptr + dstRow * kvRowBytes(type, headDim);
  if (mu) {
    expectDtype(op, "mu", mu, "f32");
    if (!Number.isInteger(muOff) || muOff < 0 || muOff + headDim > mu.size) throw new RangeError(`${op}: mu [${muOff}, ${muOff + headDim}) outside its ${mu.size} elements`);
  }
  dst.rt.k[type === "f16" ? "kv_quantize_rows_f16" : "kv_quantize_rows_q8_0"](src.ptr + 4 * srcOff, srcStride, y, headDim, m, mu ? mu.ptr + 4 * muOff : 0);
}

// dst (n, headDim) f32 = rows srcRow .. srcRow+n-1 of src (KV rows of `type`) as f32
export function readKVRows(dst: Tensor, src: Tensor, type: KVType, headDim: number, n: number, srcRow = 0): void {
  const op = "readKVRows";
  if (n <= 0) return;
  rowsIn(op, src, type, headDim, srcRow, n, "src");
  expectDtype(op, "dst", dst, "f32");
  if (dst.size < n * headDim) throw new RangeError(`${op}: dst has ${dst.size} elements, needs ${n * headDim}`);
  if (type === "f32") { copyStrided(dst, 0, 0, src, srcRow * headDim, 0, 1, n * headDim); return; }
  dst.rt.k[DEQUANTIZE[type]](src.ptr + srcRow * kvRowBytes(type, headDim), dst.ptr, headDim, n);
}
