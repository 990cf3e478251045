// RMS normalization: kernel signature (assembly/norm.ts), its TypeScript fallback, and the
// tensor-level wrapper the rest of the library calls.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/norm.ts";
import { atLeast, checkRange, expectDtype, f32At } from "./check.ts";

export interface NormKernels {
  rmsnorm_f32(x: number, w: number, y: number, dim: number, eps: number, r0: number, r1: number): void;
}

export function normFallback(h: Heap): NormKernels {
  return {
    rmsnorm_f32: (x, w, y, dim, eps, r0, r1) => ref.rmsnorm_f32(f32At(h, x), f32At(h, w), f32At(h, y), dim, eps, r0, r1),
  };
}

// y = x / sqrt(mean(x^2) + eps) * w per row    x, y (rows, dim); w (dim); rows [r0, r1)
export function rmsnorm(y: Tensor, x: Tensor, w: Tensor, eps: number, rows = w.size ? x.size / w.size : 0, r0 = 0, r1 = rows): void {
  const op = "rmsnorm";
  // one call per tensor, no argument array: this runs twice per layer per token
  expectDtype(op, "x", x, "f32");
  expectDtype(op, "w", w, "f32");
  expectDtype(op, "y", y, "f32");
  const dim = w.size;
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`${op}: rows must be a non-negative integer, got ${rows} (x has ${x.size} elements, w ${dim})`);
  atLeast(op, "x", x, rows * dim);
  atLeast(op, "y", y, rows * dim);
  checkRange(op, "row", r0, r1, rows);
  if (!(eps >= 0)) throw new RangeError(`${op}: eps must be >= 0, got ${eps}`);
  y.rt.k.rmsnorm_f32(x.ptr, w.ptr, y.ptr, dim, eps, r0, r1);
}
