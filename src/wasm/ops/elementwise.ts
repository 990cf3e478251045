// Element-wise ops: kernel signatures (assembly/elementwise.ts), their TypeScript fallback,
// and the tensor-level wrappers the rest of the library calls.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/elementwise.ts";
import { f32At, sameSize } from "./check.ts";

export interface ElementwiseKernels {
  add_f32(a: number, b: number, y: number, i0: number, i1: number): void;
  scale_f32(a: number, s: number, y: number, i0: number, i1: number): void;
  axpy_f32(a: number, s: number, y: number, i0: number, i1: number): void;
  add_rows_f32(y: number, b: number, n: number, r0: number, r1: number): void;
  add_strided_f32(y: number, y_stride: number, x: number, x_stride: number, n: number, rows: number): void;
}

export function elementwiseFallback(h: Heap): ElementwiseKernels {
  return {
    add_f32: (a, b, y, i0, i1) => ref.add_f32(f32At(h, a), f32At(h, b), f32At(h, y), i0, i1),
    scale_f32: (a, s, y, i0, i1) => ref.scale_f32(f32At(h, a), s, f32At(h, y), i0, i1),
    axpy_f32: (a, s, y, i0, i1) => ref.axpy_f32(f32At(h, a), s, f32At(h, y), i0, i1),
    add_rows_f32: (y, b, n, r0, r1) => ref.add_rows_f32(f32At(h, y), f32At(h, b), n, r0, r1),
    add_strided_f32: (y, ys, x, xs, n, rows) => ref.add_strided_f32(f32At(h, y), ys, f32At(h, x), xs, n, rows),
  };
}

// y = a + b                                  a, b, y (n)
export function add(y: Tensor, a: Tensor, b: Tensor, i0 = 0, i1 = y.size): void {
  sameSize("add", y, a, b);
  y.rt.k.add_f32(a.ptr, b.ptr, y.ptr, i0, i1);
}

// y = a * s                                  a, y (n)
export function scale(y: Tensor, a: Tensor, s: number, i0 = 0, i1 = y.size): void {
  sameSize("scale", y, a);
  y.rt.k.scale_f32(a.ptr, s, y.ptr, i0, i1);
}

// y += a * s                                 a, y (n)
export function axpy(y: Tensor, a: Tensor, s: number, i0 = 0, i1 = y.size): void {
  sameSize("axpy", y, a);
  y.rt.k.axpy_f32(a.ptr, s, y.ptr, i0, i1);
}

// y[r, :] += b for rows [r0, r1)             y (rows, n), b (n)
export function addRows(y: Tensor, b: Tensor, r0 = 0, r1 = y.size / b.size): void {
  const n = b.size;
  if (y.size % n !== 0) throw new RangeError(`addRows: y has ${y.size} elements, not a multiple of the bias length ${n}`);
  if (r0 < 0 || r1 > y.size / n || r0 > r1) throw new RangeError(`addRows: row range [${r0}, ${r1}) outside [0, ${y.size / n})`);
  y.rt.k.add_rows_f32(y.ptr, b.ptr, n, r0, r1);
}

// y[yOff + r*yStride + i] += x[xOff + r*xStride + i] for r < rows, i < n (elements)
export function addStrided(y: Tensor, yOff: number, yStride: number, x: Tensor, xOff: number, xStride: number, n: number, rows: number): void {
  if (rows <= 0 || n <= 0) return;
  if (n > yStride || n > xStride) throw new RangeError(`addStrided: row length ${n} exceeds a stride (${yStride}, ${xStride})`);
  if (yOff < 0 || yOff + (rows - 1) * yStride + n > y.size) throw new RangeError(`addStrided: y range outside its ${y.size} elements`);
  if (xOff < 0 || xOff + (rows - 1) * xStride + n > x.size) throw new RangeError(`addStrided: x range outside its ${x.size} elements`);
  y.rt.k.add_strided_f32(y.ptr + yOff * 4, yStride, x.ptr + xOff * 4, xStride, n, rows);
}
