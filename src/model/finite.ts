// NaN and Inf, caught and named.
//  - After load, scanWeights-style checks (checkTensorFinite, called per tensor as it is loaded)
//    look at every f32 value and, in the quantized types the kernels read directly, every block
//    scale (the only non-integer fields): a corrupt file is refused naming the tensor and index.
//  - During generation the transformer checks the logits of each step (vocab values: a few
//    microseconds); when they are not finite, locateNonFinite() replays the tokens so far with
//    a check after every layer and names the first layer whose output went non-finite.
//    checkFinite: "layers" checks every layer on every step (debug); "off" checks nothing.
import type { Tensor } from "../wasm/tensor.ts";
import type { DType } from "../wasm/dtype.ts";
import { ModelFormatError } from "../format/errors.ts";

export type FiniteChecks = "logits" | "layers" | "off";

export class NonFiniteError extends Error {
  constructor(message: string, readonly position: number, readonly layer: number | "embedding" | "output" | undefined) {
    super(message);
    this.name = "NonFiniteError";
  }
}

// Index of the first NaN or +-Inf in a[from, to), or -1. (x - x is 0 for finite x, NaN otherwise.)
export function firstNonFiniteF32(a: Float32Array, from = 0, to = a.length): number {
  for (let i = from; i < to; i += 256) {
    const end = Math.min(to, i + 256);
    let s = 0;
    for (let j = i; j < end; j++) s += a[j] - a[j];
    if (s !== 0) for (let j = i; j < end; j++) if (!Number.isFinite(a[j])) return j;
  }
  return -1;
}

// f16 block scales at byte `at` (+ stride per block): exponent bits all ones is Inf or NaN
function firstBadF16(u8: Uint8Array, first: number, stride: number, nBlocks: number): number {
  for (let b = 0, p = first; b < nBlocks; b++, p += stride) if ((u8[p + 1] & 0x7c) === 0x7c) return b;
  return -1;
}

// where each kernel-read quantized type keeps its f16 scales within a block (ggml-common.h)
const SCALES: Partial<Record<DType, readonly number[]>> = {
  q8_0: [0], q4_0: [0], q4_1: [0, 2], q5_0: [0], q5_1: [0, 2], q4_k: [0, 2], q5_k: [0, 2], q6_k: [208],
};
const BLOCK_BYTES: Partial<Record<DType, number>> = { q8_0: 34, q4_0: 18, q4_1: 20, q5_0: 22, q5_1: 24, q4_k: 144, q5_k: 176, q6_k: 210 };

// Throws a ModelFormatError naming `name` when the tensor holds a NaN or Inf (f32) or a block
// scale that is one (quantized types).
export function checkTensorFinite(t: Tensor, name: string, file: string): void {
  if (t.dtype === "f32") {
    const i = firstNonFiniteF32(t.f32());
    if (i >= 0) throw new ModelFormatError(file, `tensor ${name}`, undefined, `element ${i} is ${t.f32()[i]}: the weights are corrupt`);
    return;
  }
  const offs = SCALES[t.dtype], stride = BLOCK_BYTES[t.dtype];
  if (!offs || !stride) return;
  const u8 = t.bytes(), n = t.nbytes / stride;
  for (const o of offs) {
    const b = firstBadF16(u8, o, stride, n);
    if (b >= 0) throw new ModelFormatError(file, `tensor ${name}`, undefined, `block ${b} has a scale that is Inf or NaN: the weights are corrupt`);
  }
}
