// Row softmax: kernel signature (assembly/softmax.ts), its TypeScript fallback, and the
// tensor-level wrapper the rest of the library calls.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/softmax.ts";
import { atLeast, checkRange, expectDtype, f32At } from "./check.ts";

export interface SoftmaxKernels {
  // mask = 0 for none; causal_offset < 0 for no causal mask
  softmax_rows_f32(x: number, y: number, n: number, r0: number, r1: number, mask: number, causal_offset: number): void;
}

export function softmaxFallback(h: Heap): SoftmaxKernels {
  return {
    softmax_rows_f32: (x, y, n, r0, r1, mask, causal) =>
      ref.softmax_rows_f32(f32At(h, x), f32At(h, y), n, r0, r1, mask ? f32At(h, mask) : null, causal),
  };
}

export interface SoftmaxOptions {
  // rows of x to treat as (rows, n); default x.size / n
  rows?: number;
  // additive mask (rows, n) f32
  mask?: Tensor;
  // keep only columns c <= r + causalOffset in row r; default: no causal mask
  causalOffset?: number;
  // the rows to compute, [r0, r1); default all
  r0?: number;
  r1?: number;
}

// y[r] = softmax(x[r] + mask[r])               x, y (rows, n) with n = x's last dimension
export function softmaxRows(y: Tensor, x: Tensor, opts: SoftmaxOptions = {}): void {
  const op = "softmaxRows";
  expectDtype(op, "x", x, "f32");
  expectDtype(op, "y", y, "f32");
  const n = x.shape.length ? x.shape[x.shape.length - 1] : 1;
  const rows = opts.rows ?? (n === 0 ? 0 : x.size / n);
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`${op}: rows must be a non-negative integer, got ${rows}`);
  atLeast(op, "x", x, rows * n);
  atLeast(op, "y", y, rows * n);
  const r0 = opts.r0 ?? 0, r1 = opts.r1 ?? rows;
  checkRange(op, "row", r0, r1, rows);
  const causal = opts.causalOffset ?? -1;
  if (!Number.isInteger(causal) || causal > 0x7fffffff || causal < -0x80000000) {
    throw new RangeError(`${op}: causalOffset must be an i32 integer, got ${causal}`);
  }
  let mask = 0;
  if (opts.mask) {
    expectDtype(op, "mask", opts.mask, "f32");
    atLeast(op, "mask", opts.mask, rows * n);
    mask = opts.mask.ptr;
  }
  y.rt.k.softmax_rows_f32(x.ptr, y.ptr, n, r0, r1, mask, causal);
}
