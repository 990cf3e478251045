// The registry of kernel families: the full kernel table type and its TypeScript fallback.
// A kernel missing from a WASM build is a load error naming it (see runtime.ts).
import type { Heap } from "./heap.ts";
import { type ElementwiseKernels, elementwiseFallback } from "./ops/elementwise.ts";
import { type MatmulKernels, matmulFallback } from "./ops/matmul.ts";
import { type ProbeKernels, probeFallback } from "./ops/probe.ts";

export type Kernels = ElementwiseKernels & MatmulKernels & ProbeKernels;

export function fallbackKernels(h: Heap): Kernels {
  return { ...elementwiseFallback(h), ...matmulFallback(h), ...probeFallback(h) };
}
