// Row copies between tensors of 4-byte elements (f32, i32), and of byte rows (u8 tensors: the f16
// and Q8_0 KV rows): the moves the KV store, the embedding lookup and the query window make.
// Offsets and strides are in elements (bytes for u8).
import type { Tensor } from "../tensor.ts";
import type { Heap } from "../heap.ts";
import * as ref from "../../ref/copy.ts";
import { i32At } from "./check.ts";

export interface CopyKernels {
  gather_rows_b32(dst: number, src: number, rows: number, n_rows: number, len: number): void;
  gather_rows_bytes(dst: number, src: number, rows: number, n_rows: number, row_bytes: number): void;
}

export function copyFallback(h: Heap): CopyKernels {
  return {
    gather_rows_b32: (dst, src, rows, n, len) => ref.gather_rows_b32(h.u32.subarray(dst >> 2), h.u32.subarray(src >> 2), i32At(h, rows), n, len),
    gather_rows_bytes: (dst, src, rows, n, rb) => ref.gather_rows_bytes(h.u8.subarray(dst), h.u8.subarray(src), i32At(h, rows), n, rb),
  };
}

function words(t: Tensor): Uint32Array {
  if (t.dtype !== "f32" && t.dtype !== "i32") throw new TypeError(`copy: ${t.dtype} tensors are not 4-byte element tensors`);
  return t.heap.u32;
}

// the u8 heap view of a byte tensor
function bytesOf(t: Tensor): Uint8Array {
  if (t.dtype !== "u8") throw new TypeError(`copy: ${t.dtype} tensors are not byte tensors`);
  return t.heap.u8;
}

// dst[dstOff .. dstOff + n) = src[srcOff .. srcOff + n), u8 tensors (byte offsets)
export function copyBytes(dst: Tensor, dstOff: number, src: Tensor, srcOff: number, n: number): void {
  if (n <= 0) return;
  check(dst, dstOff, dstOff + n, "destination");
  check(src, srcOff, srcOff + n, "source");
  const u = bytesOf(dst);
  bytesOf(src);
  u.copyWithin(dst.ptr + dstOff, src.ptr + srcOff, src.ptr + srcOff + n);
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

// dst row i = src row rows[i], rows of rowBytes bytes (u8 tensors), for i < n (rows: i32).
// dst and src must be different tensors.
export function gatherByteRows(dst: Tensor, src: Tensor, rows: Tensor, rowBytes: number, n = rows.size): void {
  if (rows.dtype !== "i32") throw new TypeError(`gatherByteRows: rows is ${rows.dtype}, expected i32`);
  if (dst === src) throw new RangeError("gatherByteRows: dst and src must differ");
  check(dst, 0, n * rowBytes, "destination");
  bytesOf(dst);
  bytesOf(src);
  const srcRows = Math.floor(src.size / rowBytes), r = rows.i32();
  for (let i = 0; i < n; i++) {
    if (!(r[i] >= 0 && r[i] < srcRows)) throw new RangeError(`gatherByteRows: row ${r[i]} outside [0, ${srcRows})`);
  }
  dst.rt.k.gather_rows_bytes(dst.ptr, src.ptr, rows.ptr, n, rowBytes);
}
