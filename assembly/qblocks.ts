// Register-level decoding of GGUF quantized blocks (layouts: src/quant/q8.ts, q4q5.ts,
// kquants.ts). Quants are unpacked to i8x16 (one v128 = 16 values), then widened to f32x4
// four lanes at a time; nothing is written to memory except by the deq16 store helper.
import { fmadd } from "./simd";

export const QK8_0_BYTES: i32 = 34;
export const QK4_0_BYTES: i32 = 18;
export const QK5_0_BYTES: i32 = 22;
export const QK4_K_BYTES: i32 = 144;
export const QK6_K_BYTES: i32 = 210;

// f16 bits -> f32, exact (subnormals included): shift into f32 position, rescale by 2^112,
// and give inf/NaN their all-ones exponent back.
// @ts-ignore: decorator
@inline export function f16_to_f32(h: u32): f32 {
  const bits = (h & 0x7fff) << 13;
  let f = reinterpret<f32>(bits) * reinterpret<f32>(0x77800000);
  if ((h & 0x7c00) == 0x7c00) f = reinterpret<f32>(bits | 0x7f800000);
  return reinterpret<f32>(reinterpret<u32>(f) | ((h & 0x8000) << 16));
}

// lanes k..k+3 of i8x16 q as f32x4 (k = 0, 4, 8, 12)
// @ts-ignore: decorator
@inline export function lanes0(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(q))); }
// @ts-ignore: decorator
@inline export function lanes4(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(i16x8.extend_low_i8x16_s(q))); }
// @ts-ignore: decorator
@inline export function lanes8(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_high_i8x16_s(q))); }
// @ts-ignore: decorator
@inline export function lanes12(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(i16x8.extend_high_i8x16_s(q))); }

// f32x4 partial sums of q[i] * x[i], i < 16: q signed i8x16, x 16 f32 at px
// @ts-ignore: decorator
@inline export function dot16(q: v128, px: usize): v128 {
  const s0 = fmadd(lanes0(q), v128.load(px), f32x4.mul(lanes4(q), v128.load(px, 16)));
  const s1 = fmadd(lanes8(q), v128.load(px, 32), f32x4.mul(lanes12(q), v128.load(px, 48)));
  return f32x4.add(s0, s1);
}

// f32x4 partial sums of x[i], i < 16
// @ts-ignore: decorator
@inline export function sum16(px: usize): v128 {
  return f32x4.add(f32x4.add(v128.load(px), v128.load(px, 16)), f32x4.add(v128.load(px, 32), v128.load(px, 48)));
}

// dst[i] = q[i] * d + b, i < 16, rounded after the product as ggml's dequantize_row_* (no fma)
// @ts-ignore: decorator
@inline export function deq16(q: v128, d: v128, b: v128, dst: usize): void {
  v128.store(dst, f32x4.add(f32x4.mul(lanes0(q), d), b));
  v128.store(dst, f32x4.add(f32x4.mul(lanes4(q), d), b), 16);
  v128.store(dst, f32x4.add(f32x4.mul(lanes8(q), d), b), 32);
  v128.store(dst, f32x4.add(f32x4.mul(lanes12(q), d), b), 48);
}

// ---- Q4_0: 16 bytes of nibbles; low nibbles are values 0..15, high nibbles 16..31, minus 8
// @ts-ignore: decorator
@inline export function q4_0_lo(pq: usize): v128 { return i8x16.sub(v128.and(v128.load(pq), i8x16.splat(15)), i8x16.splat(8)); }
// @ts-ignore: decorator
@inline export function q4_0_hi(pq: usize): v128 { return i8x16.sub(i8x16.shr_u(v128.load(pq), 4), i8x16.splat(8)); }

// ---- Q5_0: d f16 @0, qh u32 @2 (bit j: fifth bit of value j), nibbles @6 as Q4_0's, minus 16
// Q5_0's fifth bits as bytes: the 8 bytes at Q5_BITS + 8 h hold 0x10 in byte k where bit k of
// h is set, else 0 (h < 256). Two table reads widen 16 bits, where the ALU took five SIMD ops
// (splat, shuffle, and, compare, and): Q5_0 decode is compute-bound. Filled when the module
// starts (each worker's instance writes the same bytes again).
const Q5_BITS: usize = memory.data(2048, 8);
for (let h = 0; h < 256; h++) {
  let v: u64 = 0;
  for (let k = 0; k < 8; k++) if ((h >> k) & 1) v |= (<u64>0x10) << (<u64>(8 * k));
  store<u64>(Q5_BITS + (<usize>h << 3), v);
}
// 16 bits h (h < 65536) as i8x16 of 0x10 (bit k set) or 0 (byte k)
// @ts-ignore: decorator
@inline function q5_0_bits(h: u32): v128 {
  const v = v128.load64_zero(Q5_BITS + (<usize>(h & 255) << 3));
  return v128.load64_lane(Q5_BITS + (<usize>(h >> 8) << 3), v, 1);
}
// values 0..15 (pw: the block) as stored, unsigned 0..31 (the _u forms) or minus 16
// @ts-ignore: decorator
@inline export function q5_0_lo_u(pw: usize): v128 {
  return v128.or(v128.and(v128.load(pw + 6), i8x16.splat(15)), q5_0_bits(<u32>load<u16>(pw + 2)));
}
// @ts-ignore: decorator
@inline export function q5_0_lo(pw: usize): v128 { return i8x16.sub(q5_0_lo_u(pw), i8x16.splat(16)); }
// values 16..31
// @ts-ignore: decorator
@inline export function q5_0_hi_u(pw: usize): v128 {
  return v128.or(i8x16.shr_u(v128.load(pw + 6), 4), q5_0_bits(<u32>load<u16>(pw + 4)));
}
// @ts-ignore: decorator
@inline export function q5_0_hi(pw: usize): v128 { return i8x16.sub(q5_0_hi_u(pw), i8x16.splat(16)); }

// ---- Q4_K: 6-bit scale (low byte) and min (high byte) of sub-block j from the 12 bytes at ps
// @ts-ignore: decorator
@inline export function q4_k_scale_min(ps: usize, j: i32): u32 {
  if (j < 4) return (<u32>load<u8>(ps + j) & 63) | ((<u32>load<u8>(ps + j + 4) & 63) << 8);
  const a = <u32>load<u8>(ps + j + 4), lo = <u32>load<u8>(ps + j - 4), hi = <u32>load<u8>(ps + j);
  return ((a & 15) | ((lo >> 6) << 4)) | (((a >> 4) | ((hi >> 6) << 4)) << 8);
}

// ---- Q6_K: with a = ql[l0..l0+15], a2 = ql[l0+32..], hb = qh[l0..] (l0 = 0 or 16 in a half),
// run `which` (0..3) is values l0 + 32*which .. +15 of the half, as stored (q6_k_run_u: 0..63)
// or as signed i8x16 q - 32 (q6_k_run): low nibbles of a / a2, then high nibbles, with 2-bit
// fields 0, 1, 2, 3 of hb on top.
// @ts-ignore: decorator
@inline export function q6_k_run(a: v128, a2: v128, hb: v128, which: i32): v128 {
  return i8x16.sub(q6_k_run_u(a, a2, hb, which), i8x16.splat(32));
}
// @ts-ignore: decorator
@inline export function q6_k_run_u(a: v128, a2: v128, hb: v128, which: i32): v128 {
  const m4 = i8x16.splat(15), m2 = i8x16.splat(0x30);
  let q: v128;
  if (which == 0) q = v128.or(v128.and(a, m4), v128.and(i8x16.shl(hb, 4), m2));
  else if (which == 1) q = v128.or(v128.and(a2, m4), v128.and(i8x16.shl(hb, 2), m2));
  else if (which == 2) q = v128.or(i8x16.shr_u(a, 4), v128.and(hb, m2));
  else q = v128.or(i8x16.shr_u(a2, 4), v128.and(i8x16.shr_u(hb, 2), m2));
  return q;
}
