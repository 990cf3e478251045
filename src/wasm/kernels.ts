// The registry of kernel families: the full kernel table type and its TypeScript fallback.
// A kernel missing from a WASM build is a load error naming it (see runtime.ts).
import type { Heap } from "./heap.ts";
import { type ElementwiseKernels, elementwiseFallback } from "./ops/elementwise.ts";

export type Kernels = ElementwiseKernels;

export function fallbackKernels(h: Heap): Kernels {
  return { ...elementwiseFallback(h) };
}
