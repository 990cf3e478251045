// Row copies between tensors of 4-byte elements (f32, i32): the moves the KV store, the
// embedding lookup and the query window make. Offsets and strides are in elements.
import type { Tensor } from "../tensor.ts";
import type { Heap } from "../heap.ts";
import * as ref from "../../ref/copy.ts";
import { i32At } from "./check.ts";

export interface CopyKernels {
  gather_rows_b32(dst: number, src: number, rows: number, n_rows: number, len: number): void;
}

export function copyFallback(h: Heap): CopyKernels {
  return {
    gather_rows_b32: (dst, src, rows, n, len) => ref.gather_rows_b32(h.u32.subarray(dst >> 2), h.u32.subarray(src >> 2), i32At(h, rows), n, len),
  };
}

function words(t: Tensor): Uint32Array {
  if (t.dtype !== "f32" && t.dtype !== "i32") throw new TypeError(`copy: ${t.dtype} tensors are not 4-byte element tensors`);
  return t.heap.u32;
}

function check(t: Tensor, off: number, end: number, what: string): void {
  if (off < 0 || end > t.size) throw new RangeError(`copy: ${what} range [${off}, ${end}) outside the tensor's ${t.size} elements`);
}

// dst[dstOff + i*dstStride + j] = src[srcOff + i*srcStride + j] for i < count, j < len
export function copyStrided(dst: Tensor, dstOff: number, dstStride: number, src: Tensor, srcOff: number, srcStride: number, count: number, len: number): void {
  if (count <= 0 || len <= 0) return;
  check(dst, dstOff, dstOff + (count - 1) * dstStride + len, "destination");
  check(src, srcOff, srcOff + (count - 1) * srcStride + len, "source");
  const u = words(dst);
  words(src);
  const d = (dst.ptr >> 2) + dstOff, s = (src.ptr >> 2) + srcOff;
  if (dstStride === len && srcStride === len) { u.copyWithin(d, s, s + count * len); return; }
  for (let i = 0; i < count; i++) u.copyWithin(d + i * dstStride, s + i * srcStride, s + i * srcStride + len);
}

// dst row i = src row rows[i], rows of `len` elements, for i < rows.size (rows: an i32 tensor;
// the first n entries when n is given). dst and src must be different tensors.
export function gatherRows(dst: Tensor, src: Tensor, rows: Tensor, len: number, n = rows.size): void {
  if (rows.dtype !== "i32") throw new TypeError(`gatherRows: rows is ${rows.dtype}, expected i32`);
  if (dst === src) throw new RangeError("gatherRows: dst and src must differ");
  check(dst, 0, n * len, "destination");
  words(dst);
  words(src);
  const srcRows = src.size / len, r = rows.i32();
  for (let i = 0; i < n; i++) {
    if (!(r[i] >= 0 && r[i] < srcRows)) throw new RangeError(`gatherRows: row ${r[i]} outside [0, ${srcRows})`);
  }
  dst.rt.k.gather_rows_b32(dst.ptr, src.ptr, rows.ptr, n, len);
}
