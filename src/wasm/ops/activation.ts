// Activations: kernel signature (assembly/activation.ts), its TypeScript fallback, and the
// tensor-level wrapper the rest of the library calls.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/activation.ts";
import { checkRange, f32At, sameSize } from "./check.ts";

export interface ActivationKernels {
  silu_mul_f32(a: number, b: number, y: number, i0: number, i1: number): void;
}

export function activationFallback(h: Heap): ActivationKernels {
  return {
    silu_mul_f32: (a, b, y, i0, i1) => ref.silu_mul_f32(f32At(h, a), f32At(h, b), f32At(h, y), i0, i1),
  };
}

// y = silu(a) * b = a * sigmoid(a) * b (SwiGLU)   a, b, y (n)
export function siluMul(y: Tensor, a: Tensor, b: Tensor, i0 = 0, i1 = y.size): void {
  sameSize("siluMul", y, a, b);
  checkRange("siluMul", "element", i0, i1, y.size);
  y.rt.k.silu_mul_f32(a.ptr, b.ptr, y.ptr, i0, i1);
}
