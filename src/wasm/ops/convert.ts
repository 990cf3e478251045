// Half-precision conversions: kernel signatures (assembly/convert.ts), their TypeScript
// fallback, and the tensor-level wrappers the rest of the library calls.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/convert.ts";
import { checkRange, expectDtype, f32At, u16At } from "./check.ts";

export interface ConvertKernels {
  f16_to_f32(src: number, dst: number, i0: number, i1: number): void;
  bf16_to_f32(src: number, dst: number, i0: number, i1: number): void;
}

export function convertFallback(h: Heap): ConvertKernels {
  return {
    f16_to_f32: (src, dst, i0, i1) => ref.f16_to_f32(u16At(h, src), f32At(h, dst), i0, i1),
    bf16_to_f32: (src, dst, i0, i1) => ref.bf16_to_f32(u16At(h, src), f32At(h, dst), i0, i1),
  };
}

function checkConvert(op: string, dst: Tensor, src: Tensor, from: "f16" | "bf16", i0: number, i1: number): void {
  expectDtype(op, "src", src, from);
  expectDtype(op, "dst", dst, "f32");
  if (src.size !== dst.size) throw new RangeError(`${op}: sizes differ (${src.size} vs ${dst.size})`);
  checkRange(op, "element", i0, i1, dst.size);
}

// dst = src as f32                             src (n) f16; dst (n) f32
export function f16ToF32(dst: Tensor, src: Tensor, i0 = 0, i1 = dst.size): void {
  checkConvert("f16ToF32", dst, src, "f16", i0, i1);
  dst.rt.k.f16_to_f32(src.ptr, dst.ptr, i0, i1);
}

// dst = src as f32                             src (n) bf16; dst (n) f32
export function bf16ToF32(dst: Tensor, src: Tensor, i0 = 0, i1 = dst.size): void {
  checkConvert("bf16ToF32", dst, src, "bf16", i0, i1);
  dst.rt.k.bf16_to_f32(src.ptr, dst.ptr, i0, i1);
}

// t (n) f32 whose bytes [2n, 4n) hold n f16 or bf16 values (its upper half): converts them to f32
// in place, as weights are loaded (no second buffer). The kernels run from i = 0 up and write
// element i (bytes [4i, 4i + 4)) after reading every half at or below i, which sit at bytes
// >= 2n + 2i: a write never reaches a half that is still to be read.
export function halfToF32InPlace(t: Tensor, from: "f16" | "bf16"): void {
  expectDtype("halfToF32InPlace", "t", t, "f32");
  const src = t.ptr + t.size * 2;
  if (from === "f16") t.rt.k.f16_to_f32(src, t.ptr, 0, t.size);
  else if (from === "bf16") t.rt.k.bf16_to_f32(src, t.ptr, 0, t.size);
  else throw new TypeError(`halfToF32InPlace: from ${from as string}, expected "f16" or "bf16"`);
}
