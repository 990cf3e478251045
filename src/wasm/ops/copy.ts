// Row copies between tensors of 4-byte elements (f32, i32): the moves the KV store, the
// embedding lookup and the query window make. Offsets and strides are in elements.
import type { Tensor } from "../tensor.ts";

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

// dst row i = src row rows[i], rows of `len` elements, for i < rows.length
export function gatherRows(dst: Tensor, src: Tensor, rows: ArrayLike<number>, len: number): void {
  const n = rows.length;
  check(dst, 0, n * len, "destination");
  const u = words(dst);
  words(src);
  const d = dst.ptr >> 2, s = src.ptr >> 2, srcRows = src.size / len;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < srcRows)) throw new RangeError(`gatherRows: row ${r} outside [0, ${srcRows})`);
    u.copyWithin(d + i * len, s + r * len, s + (r + 1) * len);
  }
}
