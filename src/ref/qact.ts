// Plain TypeScript reference for assembly/qact.ts: activation rows quantized to Q8A rows
// (d f32[n_in / 32], then qs i8[n_in]) the way ggml's x86 quantize_row_q8_0 does, and to Q8KA
// rows (d f32[n_in / 256], s32 i32[n_in / 32], qs i8[n_in]) as quantize_row_q8_K_ref does, in f32.
// Bit-exact with the kernels: the test oracle and the fallback.
import { roundToF16 } from "../quant/half.ts";

const fr = Math.fround;

// bytes of one Q8A row of n_in values
export function q8aRowBytes(n_in: number): number {
  return n_in + (n_in / 32) * 4;
}

// bytes of one Q8KA row of n_in values
export function q8kaRowBytes(n_in: number): number {
  return n_in + (n_in / 256) * 4 + (n_in / 32) * 4;
}

// round half to even (f32x4.nearest)
function nearest(v: number): number {
  const f = Math.floor(v), r = v - f;
  if (r !== 0.5) return Math.round(v);
  return f % 2 === 0 ? f : f + 1;
}

// row i of X (m, n_in) -> Q8A row i at byte i * q8aRowBytes(n_in) of Xq
export function quantize_rows_q8_0(X: Float32Array, Xq: Uint8Array, n_in: number, m: number): void {
  const nb = n_in / 32, rb = q8aRowBytes(n_in);
  const dv = new DataView(Xq.buffer, Xq.byteOffset, Xq.byteLength);
  for (let i = 0; i < m; i++) {
    for (let b = 0; b < nb; b++) {
      const xo = i * n_in + b * 32;
      let amax = 0;
      for (let j = 0; j < 32; j++) {
        const a = Math.abs(X[xo + j]);
        amax = Number.isNaN(a) || Number.isNaN(amax) ? NaN : Math.max(amax, a);
      }
      const id = amax !== 0 ? fr(127 / amax) : 0;
      dv.setFloat32(i * rb + 4 * b, roundToF16(fr(amax / 127)), true);
      for (let j = 0; j < 32; j++) {
        const v = nearest(fr(X[xo + j] * id));
        Xq[i * rb + 4 * nb + b * 32 + j] = (Number.isNaN(v) ? 0 : Math.max(-128, Math.min(127, v))) & 255;
      }
    }
  }
}

// row i of X (m, n_in) -> Q8KA row i at byte i * q8kaRowBytes(n_in) of Xq
export function quantize_rows_q8_k(X: Float32Array, Xq: Uint8Array, n_in: number, m: number): void {
  const nb = n_in / 256, rb = q8kaRowBytes(n_in);
  const dv = new DataView(Xq.buffer, Xq.byteOffset, Xq.byteLength);
  for (let i = 0; i < m; i++) {
    const o = i * rb, so = o + 4 * nb, qo = so + (n_in / 32) * 4;
    for (let b = 0; b < nb; b++) {
      const xo = i * n_in + b * 256;
      let amax = 0, mx = 0;
      for (let j = 0; j < 256; j++) {
        const a = Math.abs(X[xo + j]);
        if (Number.isNaN(a)) { amax = NaN; mx = NaN; break; }
        if (a > amax) { amax = a; mx = X[xo + j]; }
      }
      const q = new Int8Array(256);
      let d = 0;
      if (amax !== 0) {
        const iscale = fr(-127 / mx);
        for (let j = 0; j < 256; j++) {
          const v = nearest(fr(iscale * X[xo + j]));
          q[j] = Number.isNaN(v) ? 0 : Math.max(-128, Math.min(127, v));
        }
        d = fr(1 / iscale);
      }
      dv.setFloat32(o + 4 * b, d, true);
      for (let k = 0; k < 8; k++) {
        let s = 0;
        for (let j = 0; j < 32; j++) s += q[32 * k + j];
        dv.setInt32(so + 4 * (8 * b + k), s, true);
      }
      for (let j = 0; j < 256; j++) Xq[qo + 256 * b + j] = q[j] & 255;
    }
  }
}
