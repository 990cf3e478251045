// KV cache rows in three storage types; the attention kernels (attention.ts) read them directly.
// A row is one cache entry of one KV head (a key or a value), head_dim = d values:
//   KV_F32   f32[d]                                                     4d bytes
//   KV_F16   f16[d], IEEE binary16 bits                                 2d bytes
//   KV_Q8_0  nb = ceil(d / 32) blocks; block b: f16 scale s_b, then     d + 2 nb bytes
//            L_b = min(32, d - 32 b) i8 quants; value = q * s_b
//            (with d a multiple of 32 a row is exactly ggml's block_q8_0 row; a smaller or
//            ragged d ends in a short block, so stories260K's head_dim 8 costs 10 bytes a row)
// Rows of a block of cache lie back to back, rowBytes apart (kv_row_bytes).
//
// kv_quantize_rows_f16(x, x_stride, y, d, m, mu)  row i of x (floats at x + 4 i x_stride), minus
//                                             mu as below (0 = none) -> row i at y + i * rowBytes, i < m
// kv_quantize_rows_q8_0(x, x_stride, y, d, m, mu)  the same for Q8_0, of the rows x - mu: mu (d) f32
//                                             subtracted from every row first (0 = none; the KV
//                                             store's key centering, kv/store.ts)
// kv_dequantize_rows_<t>(y, x, d, m)           row i at y -> x (m, d) f32 (without mu)
// Rounding: f16 rounds to nearest even (as ggml's GGML_FP32_TO_FP16). Q8_0: the block's scale is
// the one of Q8_SCALES candidates s_i = amax / (127 - i / 10), i = 0..20, whose quants give the
// least squared error sum (x - q * f16(s_i))^2 (in f32, the first on ties; i = 0 is ggml's
// quantize_row_q8_0_ref scale amax / 127); q = round half away from zero of x * (1 / s) with the
// unrounded s, clamped to [-127, 127], q = 0 when amax = 0 (a block with amax < 1e-30 keeps
// amax / 127); the stored scale is f16(s). The rows stay ggml block_q8_0 rows: only the choice of
// scale differs (the idea of llama.cpp's make_qx_quants). Measured on stories260K (head_dim 8, 40
// prompts, full cache vs f32; keys centered by the store): KL 1.08e-3 with amax / 127, 4.9e-4 with
// the search, at 21 block errors per row appended (decode appends one row per KV head a token).
// Non-finite values: f16 keeps inf and NaN; a Q8_0 block with a NaN or infinity stores a NaN or
// infinite scale and zero quants, so every dot product with it is NaN (0 * inf or 0 * NaN),
// which makes a softmax row NaN as an f32 NaN key would. Scales above 65504 (|x| > 8.3e6) are inf.
// Nothing here allocates; x and y do not overlap.
import { f16_to_f32 } from "./qblocks";

export const KV_F32: i32 = 0;
export const KV_F16: i32 = 1;
export const KV_Q8_0: i32 = 2;

// bytes of one row of d values of type t
// @ts-ignore: decorator
@inline export function kv_row_bytes(t: i32, d: i32): usize {
  if (t == KV_F32) return <usize>d << 2;
  if (t == KV_F16) return <usize>d << 1;
  return <usize>d + (<usize>((d + 31) >> 5) << 1);
}

// f32 -> f16 bits, round to nearest even; NaN -> sign | 0x7e00, |x| >= 65520 -> inf
// @ts-ignore: decorator
@inline export function f32_to_f16(x: f32): u32 {
  const b = reinterpret<u32>(x);
  const s = (b >> 16) & 0x8000, a = b & 0x7fffffff;
  if (a > 0x7f800000) return s | 0x7e00;
  if (a >= 0x477ff000) return s | 0x7c00;               // 65520: halfway past 65504 ties up to inf
  if (a < 0x38800000) return s | <u32>nearest(reinterpret<f32>(a) * 16777216.0); // subnormal: m * 2^-24, exact scaling
  return s | ((a + 0xfff + ((a >> 13) & 1) - 0x38000000) >> 13); // rebias 127 -> 15, 10 mantissa bits
}

// C roundf for |v| < 2^23: nearest integer, halfway cases away from zero (v - trunc(v) is exact)
// @ts-ignore: decorator
@inline function round_away(v: f32): i32 {
  const t = trunc(v);
  const r = <i32>t;
  if (abs(v - t) >= 0.5) return v < 0 ? r - 1 : r + 1;
  return r;
}

// scale candidates tried per Q8_0 block (amax / (127 - i / 10), i < Q8_SCALES)
export const Q8_SCALES: i32 = 21;

// x[c] - mu[c] (mu = 0: x[c])
// @ts-ignore: decorator
@inline function centered(x: usize, mu: usize, c: i32): f32 {
  const v = load<f32>(x + (<usize>c << 2));
  return mu != 0 ? v - load<f32>(mu + (<usize>c << 2)) : v;
}

// squared error of the n values at x - mu quantized with scale s (stored as f16(s))
// @ts-ignore: decorator
@inline function q8_block_err(x: usize, mu: usize, n: i32, s: f32): f32 {
  const id: f32 = <f32>1 / s, sh = f16_to_f32(f32_to_f16(s));
  let e: f32 = 0;
  for (let c = 0; c < n; c++) {
    const v = centered(x, mu, c);
    const r = v - <f32>clamp_q(round_away(v * id)) * sh;
    e += r * r;
  }
  return e;
}

// @ts-ignore: decorator
@inline function clamp_q(q: i32): i32 { return max(-127, min(127, q)); }

// one Q8_0 row: d floats at x, minus mu (d floats, or 0 for none) -> kv_row_bytes(KV_Q8_0, d) bytes at y
// @ts-ignore: decorator
@inline export function quantize_row_kv_q8_0(x: usize, y: usize, d: i32, mu: usize): void {
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = min(32, d - c0);
    const px = x + (<usize>c0 << 2), pm = mu != 0 ? mu + (<usize>c0 << 2) : 0;
    let amax: f32 = 0;
    for (let c = 0; c < n; c++) amax = max(amax, abs(centered(px, pm, c)));
    let s: f32 = amax / 127;
    if (amax - amax != 0) {                              // NaN or infinity in the block
      store<u16>(y, <u16>f32_to_f16(s));
      memory.fill(y + 2, 0, <usize>n);
    } else {
      if (amax >= <f32>1e-30) {                         // a tinier block keeps amax / 127 (1 / s would overflow)
        let best = q8_block_err(px, pm, n, s);
        for (let i = 1; i < Q8_SCALES; i++) {
          const den: i32 = 1270 - i;
          const si: f32 = amax / (<f32>den / <f32>10);
          const e = q8_block_err(px, pm, n, si);
          if (e < best) { best = e; s = si; }
        }
      }
      store<u16>(y, <u16>f32_to_f16(s));
      const id: f32 = s != 0 ? <f32>1 / s : 0;
      for (let c = 0; c < n; c++) store<i8>(y + 2 + <usize>c, <i8>clamp_q(round_away(centered(px, pm, c) * id)));
    }
    y += 2 + <usize>n;
  }
}

export function kv_quantize_rows_f16(x: usize, x_stride: i32, y: usize, d: i32, m: i32, mu: usize): void {
  for (let i = 0; i < m; i++) {
    const px = x + ((<usize>i * <usize>x_stride) << 2), py = y + <usize>i * kv_row_bytes(KV_F16, d);
    for (let c = 0; c < d; c++) {
      const o = <usize>c << 2, v = load<f32>(px + o);
      store<u16>(py + (<usize>c << 1), <u16>f32_to_f16(mu != 0 ? v - load<f32>(mu + o) : v));
    }
  }
}

export function kv_quantize_rows_q8_0(x: usize, x_stride: i32, y: usize, d: i32, m: i32, mu: usize): void {
  const rb = kv_row_bytes(KV_Q8_0, d);
  for (let i = 0; i < m; i++) quantize_row_kv_q8_0(x + ((<usize>i * <usize>x_stride) << 2), y + <usize>i * rb, d, mu);
}

export function kv_dequantize_rows_f16(y: usize, x: usize, d: i32, m: i32): void {
  const n = <usize>d * <usize>m;
  for (let c: usize = 0; c < n; c++) store<f32>(x + (c << 2), f16_to_f32(<u32>load<u16>(y + (c << 1))));
}

export function kv_dequantize_rows_q8_0(y: usize, x: usize, d: i32, m: i32): void {
  for (let i = 0; i < m; i++) {
    for (let c0 = 0; c0 < d; c0 += 32) {
      const n = min(32, d - c0), s = f16_to_f32(<u32>load<u16>(y));
      for (let c = 0; c < n; c++) store<f32>(x + (<usize>(c0 + c) << 2), <f32>load<i8>(y + 2 + <usize>c) * s);
      y += 2 + <usize>n;
    }
    x += <usize>d << 2;
  }
}
