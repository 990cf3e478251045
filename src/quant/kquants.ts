// K-quants: super-blocks of 256 values (ggml-common.h, QK_K = 256).
//   Q4_K (144 B): d f16 @0, dmin f16 @2, scales[12] @4, qs[128] @16
//   Q5_K (176 B): d f16 @0, dmin f16 @2, scales[12] @4, qh[32] @16, qs[128] @48
//     8 sub-blocks of 32, each with a 6-bit scale sc and 6-bit min m (packed in scales[12],
//     see scaleMin); value = d*sc * q - dmin*m, q in 0..15 (0..31 with the qh bit).
//     Sub-blocks 2c and 2c+1 share qs[32c .. 32c+31]: low nibbles, then high nibbles.
//     Q5_K: bit 2c of qh[l] is the fifth bit of value l of sub-block 2c, bit 2c+1 of 2c+1.
//   Q6_K (210 B): ql[128] @0, qh[64] @128, scales i8[16] @192, d f16 @208
//     16 sub-blocks of 16 with a signed 8-bit scale; value = d*sc * (q - 32), q in 0..63.
//     Half h (128 values) uses ql[64h ..], qh[32h ..]; for l < 32 its values l, l+32, l+64,
//     l+96 take the low nibble of ql[l], of ql[l+32], the high nibble of ql[l], of ql[l+32],
//     and bits (0,1), (2,3), (4,5), (6,7) of qh[l] as their top two bits.
import { f16ToF32, f32ToF16 } from "./half.ts";

export const QK_K = 256;
export const Q4_K_BYTES = 144, Q5_K_BYTES = 176, Q6_K_BYTES = 210;
const fr = Math.fround;

function u16(s: Uint8Array, p: number): number { return s[p] | (s[p + 1] << 8); }
function put16(s: Uint8Array, p: number, v: number): void { s[p] = v & 255; s[p + 1] = v >> 8; }

// 6-bit scale and min of sub-block j from the 12 packed bytes at s[p..]: sub-blocks 0-3 keep
// theirs in the low 6 bits of bytes j and j+4; sub-blocks 4-7 keep their low 4 bits in byte
// j+4 (scale low nibble, min high nibble) and their top 2 bits in the top bits of bytes j-4 / j.
export function scaleMin(s: Uint8Array, p: number, j: number): [number, number] {
  if (j < 4) return [s[p + j] & 63, s[p + j + 4] & 63];
  return [(s[p + j + 4] & 15) | ((s[p + j - 4] >> 6) << 4), (s[p + j + 4] >> 4) | ((s[p + j] >> 6) << 4)];
}

function packScaleMin(s: Uint8Array, p: number, ls: Uint8Array, lm: Uint8Array): void {
  s.fill(0, p, p + 12);
  for (let j = 0; j < 8; j++) {
    if (j < 4) { s[p + j] |= ls[j]; s[p + j + 4] |= lm[j]; }
    else {
      s[p + j + 4] = (ls[j] & 15) | ((lm[j] & 15) << 4);
      s[p + j - 4] |= (ls[j] >> 4) << 6;
      s[p + j] |= (lm[j] >> 4) << 6;
    }
  }
}

// Q4_K and Q5_K, as ggml's dequantize_row_q4_K / q5_K in f32
export function dequantQ45K(bits: 4 | 5, src: Uint8Array, nb: number, out: Float32Array, o: number): void {
  const bytes = bits === 4 ? Q4_K_BYTES : Q5_K_BYTES, qs = bits === 4 ? 16 : 48;
  for (let b = 0; b < nb; b++) {
    const p = b * bytes;
    const d = f16ToF32(u16(src, p)), dmin = f16ToF32(u16(src, p + 2));
    for (let j = 0; j < 8; j++) {
      const [sc, m] = scaleMin(src, p + 4, j);
      const dj = fr(d * sc), mj = fr(dmin * m);
      const q = p + qs + 32 * (j >> 1), shift = 4 * (j & 1);
      for (let l = 0; l < 32; l++) {
        let v = (src[q + l] >> shift) & 15;
        if (bits === 5) v += ((src[p + 16 + l] >> j) & 1) << 4;
        out[o++] = fr(dj * v) - mj;
      }
    }
  }
}

export function dequantQ6K(src: Uint8Array, nb: number, out: Float32Array, o: number): void {
  for (let b = 0; b < nb; b++) {
    const p = b * Q6_K_BYTES;
    const d = f16ToF32(u16(src, p + 208));
    for (let h = 0; h < 2; h++) {
      const ql = p + 64 * h, qh = p + 128 + 32 * h, sc = p + 192 + 8 * h, y = o + 128 * h;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4, hb = src[qh + l];
        const q1 = ((src[ql + l] & 15) | ((hb & 3) << 4)) - 32;
        const q2 = ((src[ql + l + 32] & 15) | (((hb >> 2) & 3) << 4)) - 32;
        const q3 = ((src[ql + l] >> 4) | (((hb >> 4) & 3) << 4)) - 32;
        const q4 = ((src[ql + l + 32] >> 4) | (((hb >> 6) & 3) << 4)) - 32;
        out[y + l] = fr(d * i8(src[sc + is])) * q1;
        out[y + l + 32] = fr(d * i8(src[sc + is + 2])) * q2;
        out[y + l + 64] = fr(d * i8(src[sc + is + 4])) * q3;
        out[y + l + 96] = fr(d * i8(src[sc + is + 6])) * q4;
      }
    }
    o += 256;
  }
}

function i8(v: number): number { return (v << 24) >> 24; }

// nearest integer, halfway to even (ggml's nearest_int)
function nearest(v: number): number {
  const f = Math.floor(v), r = v - f;
  return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

function clamp(v: number, lo: number, hi: number): number { return v < lo ? lo : v > hi ? hi : v; }

// Candidate step counts for the scale searches: the range is divided into nmax + delta steps,
// delta in {-1, -0.9, ..., 0}. delta <= 0 keeps every value inside the grid before the scales
// are rounded, which is what the error bound in bounds.ts relies on. (ggml's make_qkx2_quants
// and make_qx_quants also try delta > 0 and refit scale and min by least squares; that lowers
// the mean error a little but gives up any per-value bound.)
const DELTAS = Array.from({ length: 11 }, (_, i) => -1 + 0.1 * i);

// Q4_K / Q5_K: per sub-block, the min is min(x, 0) and the scale the candidate with the least
// weighted squared error (weights sqrt(mean x^2) + |x|, as ggml's quantize_row_q4_K_ref); then
// scales and mins are rounded to 6 bits against d = max scale / 63, dmin = max min / 63, and
// every value is re-quantized on its final grid.
export function quantQ45K(bits: 4 | 5, x: Float32Array, nb: number, dst: Uint8Array): void {
  const bytes = bits === 4 ? Q4_K_BYTES : Q5_K_BYTES, qsOff = bits === 4 ? 16 : 48;
  const nmax = (1 << bits) - 1;
  const scales = new Float64Array(8), mins = new Float64Array(8);
  const ls = new Uint8Array(8), lm = new Uint8Array(8), L = new Uint8Array(256);
  for (let b = 0; b < nb; b++) {
    const xo = b * 256, p = b * bytes;
    for (let j = 0; j < 8; j++) {
      const xs = xo + 32 * j;
      let mn = 0, mx = -Infinity, sum2 = 0;
      for (let l = 0; l < 32; l++) { const v = x[xs + l]; mn = Math.min(mn, v); mx = Math.max(mx, v); sum2 += v * v; }
      mins[j] = -mn;
      scales[j] = mx > mn ? bestAsymScale(x, xs, mn, mx - mn, nmax, Math.sqrt(sum2 / 32)) : 0;
    }
    const S = Math.max(...scales), M = Math.max(...mins);
    for (let j = 0; j < 8; j++) {
      ls[j] = S > 0 ? Math.min(63, nearest((63 / S) * scales[j])) : 0;
      lm[j] = M > 0 ? Math.min(63, nearest((63 / M) * mins[j])) : 0;
    }
    const dh = f32ToF16(S / 63), mh = f32ToF16(M / 63);
    put16(dst, p, dh); put16(dst, p + 2, mh);
    packScaleMin(dst, p + 4, ls, lm);
    const d = f16ToF32(dh), dmin = f16ToF32(mh);
    for (let j = 0; j < 8; j++) {
      const dj = fr(d * ls[j]), mj = fr(dmin * lm[j]);
      for (let l = 0; l < 32; l++) L[32 * j + l] = dj ? clamp(nearest((x[xo + 32 * j + l] + mj) / dj), 0, nmax) : 0;
    }
    if (bits === 5) dst.fill(0, p + 16, p + 48);
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) {
        const lo = L[64 * c + l], hi = L[64 * c + 32 + l];
        dst[p + qsOff + 32 * c + l] = (lo & 15) | ((hi & 15) << 4);
        if (bits === 5) dst[p + 16 + l] |= ((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1));
      }
    }
  }
}

function bestAsymScale(x: Float32Array, xs: number, mn: number, range: number, nmax: number, avx: number): number {
  let best = Infinity, bestScale = range / nmax;
  for (const delta of DELTAS) {
    const s = range / (nmax + delta);
    let err = 0;
    for (let l = 0; l < 32; l++) {
      const v = x[xs + l];
      const q = clamp(nearest((v - mn) / s), 0, nmax);
      const e = s * q + mn - v;
      err += (avx + Math.abs(v)) * e * e;
    }
    if (err < best) { best = err; bestScale = s; }
  }
  return bestScale;
}

// Q6_K: per sub-block of 16, the value of largest magnitude goes to the -32 end of the grid
// (scale -v / (32 + delta), the candidate with the least x^2-weighted squared error, as
// make_qx_quants weighs it); the signed scales are rounded to 8 bits against
// d = -(largest-magnitude scale) / 128 and every value is re-quantized on its final grid.
export function quantQ6K(x: Float32Array, nb: number, dst: Uint8Array): void {
  const scales = new Float64Array(16), sc = new Int8Array(16), L = new Uint8Array(256);
  for (let b = 0; b < nb; b++) {
    const xo = b * 256, p = b * Q6_K_BYTES;
    let maxScale = 0;
    for (let j = 0; j < 16; j++) {
      scales[j] = bestSymScale(x, xo + 16 * j);
      if (Math.abs(scales[j]) > Math.abs(maxScale)) maxScale = scales[j];
    }
    const iscale = maxScale ? -128 / maxScale : 0;
    for (let j = 0; j < 16; j++) sc[j] = Math.min(127, nearest(iscale * scales[j]));
    const dh = f32ToF16(maxScale ? -maxScale / 128 : 0);
    const d = f16ToF32(dh);
    for (let j = 0; j < 16; j++) {
      const dj = fr(d * sc[j]);
      for (let l = 0; l < 16; l++) L[16 * j + l] = dj ? clamp(nearest(x[xo + 16 * j + l] / dj), -32, 31) + 32 : 32;
    }
    for (let h = 0; h < 2; h++) {
      const ql = p + 64 * h, qh = p + 128 + 32 * h, y = 128 * h;
      for (let l = 0; l < 32; l++) {
        const a = L[y + l], b2 = L[y + l + 32], c = L[y + l + 64], e = L[y + l + 96];
        dst[ql + l] = (a & 15) | ((c & 15) << 4);
        dst[ql + l + 32] = (b2 & 15) | ((e & 15) << 4);
        dst[qh + l] = (a >> 4) | ((b2 >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
      }
    }
    for (let j = 0; j < 16; j++) dst[p + 192 + j] = sc[j] & 255;
    put16(dst, p + 208, dh);
  }
}

function bestSymScale(x: Float32Array, xs: number): number {
  let amax = 0, vmax = 0;
  for (let l = 0; l < 16; l++) { const v = x[xs + l]; if (Math.abs(v) > amax) { amax = Math.abs(v); vmax = v; } }
  if (amax === 0) return 0;
  let best = Infinity, bestScale = -vmax / 32;
  for (const delta of DELTAS) {
    const s = -vmax / (32 + delta);
    let err = 0;
    for (let l = 0; l < 16; l++) {
      const v = x[xs + l];
      const e = s * clamp(nearest(v / s), -32, 31) - v;
      err += v * v * e * e;
    }
    if (err < best) { best = err; bestScale = s; }
  }
  return bestScale;
}
