// Q8_0: blocks of 32 values, 34 bytes each (ggml-common.h block_q8_0):
//   d   f16   bytes 0..1   scale
//   qs  i8[32] bytes 2..33 quants
// value[j] = qs[j] * d
import { f16ToF32, f32ToF16 } from "./half.ts";

export const QK8_0 = 32, Q8_0_BYTES = 34;
const fr = Math.fround;

// src holds nb whole blocks from byte 0; writes 32 * nb floats at out[o...]
export function dequantQ8_0(src: Uint8Array, nb: number, out: Float32Array, o: number): void {
  for (let b = 0; b < nb; b++) {
    const p = b * Q8_0_BYTES;
    const d = f16ToF32(src[p] | (src[p + 1] << 8));
    for (let j = 0; j < 32; j++) out[o++] = ((src[p + 2 + j] << 24) >> 24) * d;
  }
}

// ggml's quantize_row_q8_0_ref: d = absmax / 127, q = round(x / d) (half away from zero),
// evaluated in f32 as ggml does (the quants use 1/d before d is rounded to f16).
export function quantQ8_0(x: Float32Array, nb: number, dst: Uint8Array): void {
  for (let b = 0; b < nb; b++) {
    const xo = b * 32, p = b * Q8_0_BYTES;
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    const h = f32ToF16(d);
    dst[p] = h & 255; dst[p + 1] = h >> 8;
    for (let j = 0; j < 32; j++) dst[p + 2 + j] = roundAway(fr(x[xo + j] * id)) & 255;
  }
}

// C roundf: nearest integer, halfway cases away from zero
export function roundAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}
