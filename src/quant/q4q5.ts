// The 32-value legacy types (ggml-common.h). Nibble j of qs holds value j (low) and j + 16 (high);
// the 5-bit types keep each value's fifth bit in qh (a little-endian u32, bit j for value j).
//   Q4_0 (18 B): d f16 @0, qs[16] @2              value = (q - 8) * d
//   Q4_1 (20 B): d f16 @0, m f16 @2, qs[16] @4     value = q * d + m
//   Q5_0 (22 B): d f16 @0, qh u32 @2, qs[16] @6    value = (q - 16) * d
//   Q5_1 (24 B): d f16 @0, m f16 @2, qh u32 @4, qs[16] @8   value = q * d + m
// Quantizers follow ggml's quantize_row_*_ref rules in f32: the symmetric types map the
// largest-magnitude value to -8 (-16) exactly; the min-max types use d = (max - min) / 15 (31).
import { f16ToF32, f32ToF16 } from "./half.ts";

const fr = Math.fround;

interface Legacy {
  bytes: number;
  bits: 4 | 5;
  hasMin: boolean;
  qh: number;   // byte offset of qh (5-bit types)
  qs: number;   // byte offset of qs
}

export const Q4_0: Legacy = { bytes: 18, bits: 4, hasMin: false, qh: -1, qs: 2 };
export const Q4_1: Legacy = { bytes: 20, bits: 4, hasMin: true, qh: -1, qs: 4 };
export const Q5_0: Legacy = { bytes: 22, bits: 5, hasMin: false, qh: 2, qs: 6 };
export const Q5_1: Legacy = { bytes: 24, bits: 5, hasMin: true, qh: 4, qs: 8 };

function u16(s: Uint8Array, p: number): number { return s[p] | (s[p + 1] << 8); }
function put16(s: Uint8Array, p: number, v: number): void { s[p] = v & 255; s[p + 1] = v >> 8; }

// src holds nb whole blocks of type t; writes 32 * nb floats at out[o...]
export function dequantLegacy(t: Legacy, src: Uint8Array, nb: number, out: Float32Array, o: number): void {
  const zero = t.hasMin ? 0 : 1 << (t.bits - 1); // 8 or 16 for the symmetric types
  for (let b = 0; b < nb; b++) {
    const p = b * t.bytes;
    const d = f16ToF32(u16(src, p));
    const m = t.hasMin ? f16ToF32(u16(src, p + 2)) : 0;
    const qh = t.bits === 5 ? (src[p + t.qh] | (src[p + t.qh + 1] << 8) | (src[p + t.qh + 2] << 16) | (src[p + t.qh + 3] << 24)) >>> 0 : 0;
    for (let j = 0; j < 16; j++) {
      const byte = src[p + t.qs + j];
      const q0 = (byte & 15) | (((qh >>> j) & 1) << 4);
      const q1 = (byte >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      // f32 like ggml: (q - zero) * d, or q * d + m rounded after the product
      out[o + j] = t.hasMin ? fr(q0 * d) + m : (q0 - zero) * d;
      out[o + j + 16] = t.hasMin ? fr(q1 * d) + m : (q1 - zero) * d;
    }
    o += 32;
  }
}

export function quantLegacy(t: Legacy, x: Float32Array, nb: number, dst: Uint8Array): void {
  const qmax = (1 << t.bits) - 1;
  for (let b = 0; b < nb; b++) {
    const xo = b * 32, p = b * t.bytes;
    let d: number, id: number, base: number, offset: number;
    if (t.hasMin) {
      let min = Infinity, max = -Infinity; // FLT_MAX / -FLT_MAX in ggml; equal for finite input
      for (let j = 0; j < 32; j++) { const v = x[xo + j]; if (v < min) min = v; if (v > max) max = v; }
      d = fr(fr(max - min) / qmax);
      base = min;
      offset = 0.5;
      put16(dst, p + 2, f32ToF16(min));
    } else {
      let amax = 0, max = 0; // the value of largest magnitude, with its sign
      for (let j = 0; j < 32; j++) { const v = x[xo + j]; if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; } }
      d = fr(max / -(1 << (t.bits - 1)));
      base = 0;
      offset = (1 << (t.bits - 1)) + 0.5; // 8.5 or 16.5
    }
    id = d ? fr(1 / d) : 0;
    put16(dst, p, f32ToF16(d));
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q0 = quant1(fr(fr(x[xo + j] - base) * id), offset, qmax);
      const q1 = quant1(fr(fr(x[xo + j + 16] - base) * id), offset, qmax);
      dst[p + t.qs + j] = (q0 & 15) | ((q1 & 15) << 4);
      qh |= ((q0 >> 4) << j) | ((q1 >> 4) << (j + 16));
    }
    if (t.bits === 5) for (let k = 0; k < 4; k++) dst[p + t.qh + k] = (qh >>> (8 * k)) & 255;
  }
}

// ggml: MIN(qmax, (int8_t)(v + offset)), the cast truncating toward zero
function quant1(v: number, offset: number, qmax: number): number {
  return Math.min(qmax, Math.trunc(fr(v + offset)));
}
