// The registry of kernel families: the full kernel table type and its TypeScript fallback.
// A kernel missing from a WASM build is a load error naming it (see runtime.ts).
import type { Heap } from "./heap.ts";
import { type ElementwiseKernels, elementwiseFallback } from "./ops/elementwise.ts";
import { type AttentionKernels, attentionFallback } from "./ops/attention.ts";
import { type AggregateKernels, aggregateFallback } from "./ops/aggregate.ts";
import { type DbudgetKernels, dbudgetFallback } from "./ops/dbudget.ts";
import { type SoftmaxKernels, softmaxFallback } from "./ops/softmax.ts";
import { type NormKernels, normFallback } from "./ops/norm.ts";
import { type RopeKernels, ropeFallback } from "./ops/rope.ts";
import { type ActivationKernels, activationFallback } from "./ops/activation.ts";
import { type ConvertKernels, convertFallback } from "./ops/convert.ts";
import { type QmatmulKernels, qmatmulFallback } from "./ops/qmatmul.ts";
import { type MatmulKernels, matmulFallback } from "./ops/matmul.ts";
import { type ProbeKernels, probeFallback } from "./ops/probe.ts";
import { type CopyKernels, copyFallback } from "./ops/copy.ts";
import { type KVRowKernels, kvRowsFallback } from "./ops/kvrows.ts";
import { type AttnResKernels, attnResFallback } from "./ops/attnres.ts";

export type Kernels = ElementwiseKernels & AttentionKernels & AggregateKernels & DbudgetKernels &
  SoftmaxKernels & NormKernels & RopeKernels & ActivationKernels & ConvertKernels & QmatmulKernels &
  MatmulKernels & ProbeKernels & CopyKernels & KVRowKernels & AttnResKernels;

export function fallbackKernels(h: Heap): Kernels {
  return {
    ...elementwiseFallback(h),
    ...attentionFallback(h),
    ...aggregateFallback(h),
    ...dbudgetFallback(h),
    ...softmaxFallback(h),
    ...normFallback(h),
    ...ropeFallback(h),
    ...activationFallback(h),
    ...convertFallback(h),
    ...qmatmulFallback(h),
    ...matmulFallback(h),
    ...probeFallback(h),
    ...copyFallback(h),
    ...kvRowsFallback(h),
    ...attnResFallback(h),
  };
}
