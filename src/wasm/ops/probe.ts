// Benchmark probes (assembly/probe.ts): kernel signatures, fallback, and wrappers. Bench-only.
import type { Heap } from "../heap.ts";
import type { Runtime } from "../runtime.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/probe.ts";
import { expectDtype, f32At } from "./check.ts";

export interface ProbeKernels {
  probe_peak_f32(n_iter: number, b: number, a: number): number;
  probe_sum_f32(a: number, n: number): number;
}

export function probeFallback(h: Heap): ProbeKernels {
  return {
    probe_peak_f32: (n_iter, b, a) => ref.probe_peak_f32(n_iter, b, a),
    probe_sum_f32: (a, n) => ref.probe_sum_f32(f32At(h, a), n),
  };
}

// FLOPs one probePeak call performs: 12 chains x 4 lanes x 2 flops per step
export const PROBE_PEAK_FLOPS_PER_ITER = 96;

// register-only multiply-add chains; returns their sum (b = 0.5, a = 1 keeps it finite)
export function probePeak(rt: Runtime, n_iter: number, b = 0.5, a = 1): number {
  return rt.k.probe_peak_f32(n_iter, b, a);
}

// reads every element of `a` once and returns the sum
export function probeSum(a: Tensor): number {
  expectDtype("probeSum", "a", a, "f32");
  return a.rt.k.probe_sum_f32(a.ptr, a.size);
}
