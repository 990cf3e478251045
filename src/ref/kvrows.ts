// Plain TypeScript references for assembly/kvrows.ts (KV rows as f16 and Q8_0) and for the
// attention kernels over them (assembly/attention.ts attn_*_f16, attn_*_q8_0): the test oracle
// and the fallback. Row formats are kvrows.ts's; arrays are byte buffers indexed from the kernel's
// pointers. Quantization is exact to the kernel's bits (f32 arithmetic through Math.fround), the
// i16 query of Q8_0 attention included; the attention sums in f64.
import { f16ToF32, f32ToF16 } from "../quant/half.ts";
import { roundAway } from "../quant/q8.ts";
import { softmaxInPlace } from "./attention.ts";

export type KVRowType = "f32" | "f16" | "q8_0";
const fr = Math.fround;

// bytes of one row of d values
export function kvRowBytes(t: KVRowType, d: number): number {
  return t === "f32" ? 4 * d : t === "f16" ? 2 * d : d + 2 * Math.ceil(d / 32);
}

// scale candidates per Q8_0 block: amax / (127 - i / 10), i < Q8_SCALES (assembly/kvrows.ts)
export const Q8_SCALES = 21;
const clampQ = (q: number) => Math.max(-127, Math.min(127, q));

// squared error (f32, in order) of the values v quantized with scale s stored as f16(s)
function q8BlockErr(v: Float32Array, s: number): number {
  const id = fr(1 / s), sh = f16ToF32(f32ToF16(s));
  let e = 0;
  for (let c = 0; c < v.length; c++) {
    const r = fr(v[c] - fr(clampQ(roundAway(fr(v[c] * id))) * sh));
    e = fr(e + fr(r * r));
  }
  return e;
}

// one Q8_0 row: x[xo .. xo+d) minus mu (d values, if given) -> y[yo ..); the block's scale is the
// candidate with the least squared error (kvrows.ts)
export function quantizeRowQ8_0(x: Float32Array, xo: number, y: Uint8Array, yo: number, d: number, mu?: Float32Array): void {
  const v = new Float32Array(32);
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = Math.min(32, d - c0), b = v.subarray(0, n);
    let amax = 0;
    for (let c = 0; c < n; c++) { b[c] = mu ? fr(x[xo + c0 + c] - mu[c0 + c]) : x[xo + c0 + c]; amax = Math.max(amax, Math.abs(b[c])); }
    let s = fr(amax / 127);
    const finite = Number.isFinite(amax);
    if (finite && amax >= fr(1e-30)) {
      let best = q8BlockErr(b, s);
      for (let i = 1; i < Q8_SCALES; i++) {
        const si = fr(amax / fr(fr(1270 - i) / 10));
        const e = q8BlockErr(b, si);
        if (e < best) { best = e; s = si; }
      }
    }
    const h = f32ToF16(s);
    y[yo] = h & 255; y[yo + 1] = h >> 8;
    const id = s !== 0 ? fr(1 / s) : 0;
    for (let c = 0; c < n; c++) y[yo + 2 + c] = finite ? clampQ(roundAway(fr(b[c] * id))) & 255 : 0;
    yo += 2 + n;
  }
}

// row i of x (stride xStride floats) -> row i of y, i < m; of x - mu when mu is given
export function kv_quantize_rows(t: "f16" | "q8_0", x: Float32Array, xStride: number, y: Uint8Array, d: number, m: number, mu?: Float32Array): void {
  const rb = kvRowBytes(t, d);
  for (let i = 0; i < m; i++) {
    if (t === "q8_0") { quantizeRowQ8_0(x, i * xStride, y, i * rb, d, mu); continue; }
    for (let c = 0; c < d; c++) {
      const h = f32ToF16(mu ? Math.fround(x[i * xStride + c] - mu[c]) : x[i * xStride + c]);
      y[i * rb + 2 * c] = h & 255; y[i * rb + 2 * c + 1] = h >> 8;
    }
  }
}

// the little-endian f32 at byte b of y (an aligned Float32Array view when the buffer allows one:
// the reference reads every value of the cache per token)
const views = new WeakMap<Uint8Array, Float32Array | DataView>();
function f32At(y: Uint8Array, b: number): number {
  let w = views.get(y);
  if (!w) views.set(y, w = y.byteOffset % 4 === 0 && y.byteLength % 4 === 0 ? new Float32Array(y.buffer, y.byteOffset, y.byteLength / 4) : new DataView(y.buffer, y.byteOffset, y.byteLength));
  return w instanceof Float32Array ? w[b >> 2] : w.getFloat32(b, true);
}

// value c of the row at y[yo ..)
export function rowValue(t: KVRowType, y: Uint8Array, yo: number, d: number, c: number): number {
  if (t === "f32") return f32At(y, yo + 4 * c);
  if (t === "f16") return f16ToF32(y[yo + 2 * c] | (y[yo + 2 * c + 1] << 8));
  const b = c >> 5, p = yo + b * 34;   // every block before the last is full (34 bytes)
  const s = f16ToF32(y[p] | (y[p + 1] << 8));
  return ((y[p + 2 + (c & 31)] << 24) >> 24) * s;
}

// row i at y -> x (m, d)
export function kv_dequantize_rows(t: KVRowType, y: Uint8Array, x: Float32Array, d: number, m: number): void {
  const rb = kvRowBytes(t, d);
  for (let i = 0; i < m; i++) for (let c = 0; c < d; c++) x[i * d + c] = rowValue(t, y, i * rb, d, c);
}

// round half to even (WASM's f32x4.nearest, for the integers an f32 holds)
function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// The query head q[qo .. qo + d) as i16 for Q8_0 keys (assembly/attnq8.ts): qi_c = round_even(
// f32(f32(q_c / amax) * 32767)), and sq = amax / 32767 (NaN unless q is finite; qi = 0 when amax = 0)
export function quantizeQueryI16(q: Float32Array, qo: number, d: number): { qi: Int16Array; sq: number } {
  let a = 0;
  for (let c = 0; c < d; c++) a = Math.max(a, Math.abs(q[qo + c]));
  const qi = new Int16Array(d);
  if (a > 0 && a < Infinity) for (let c = 0; c < d; c++) qi[c] = roundEven(fr(fr(q[qo + c] / a) * 32767));
  return { qi, sq: a < Infinity ? fr(a / 32767) : NaN };
}

// q (d at qo, f32) . key row at k[ko ..) (f32 and f16 rows); for q8_0 rows the integer query's
// sum_b s_b * sum_c qi_c * k_c (times sq outside)
export function dotRow(t: KVRowType, q: Float32Array, qo: number, qi: Int16Array | undefined, k: Uint8Array, ko: number, d: number): number {
  if (t !== "q8_0") {
    let s = 0;
    for (let c = 0; c < d; c++) s += q[qo + c] * rowValue(t, k, ko, d, c);
    return s;
  }
  let s = 0, b = ko;
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = Math.min(32, d - c0);
    let bs = 0;
    for (let c = 0; c < n; c++) bs += qi![c0 + c] * ((k[b + 2 + c] << 24) >> 24);
    s += bs * f16ToF32(k[b] | (k[b + 1] << 8));
    b += 2 + n;
  }
  return s;
}

// one query head at q[qo..qo+d): weights into s[so..so+n), output into out[oo..oo+d)
function oneHead(t: KVRowType, q: Float32Array, qo: number, k: Uint8Array, v: Uint8Array, out: Float32Array, oo: number,
                 s: Float32Array, so: number, n: number, d: number, scale: number): void {
  const rb = kvRowBytes(t, d);
  const iq = t === "q8_0" ? quantizeQueryI16(q, qo, d) : undefined;
  const f = iq ? fr(iq.sq * fr(scale)) : fr(scale);
  for (let j = 0; j < n; j++) s[so + j] = dotRow(t, q, qo, iq?.qi, k, j * rb, d) * f;
  if (n > 0) softmaxInPlace(s, so, n);
  for (let c = 0; c < d; c++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += s[so + j] * rowValue(t, v, j * rb, d, c);
    out[oo + c] = acc;
  }
}

// q, out (n_group, head_dim); k, v (n_kv rows of type t); scores (n_group, n_kv) <- softmax weights
export function attn_decode_kv(t: KVRowType, q: Float32Array, k: Uint8Array, v: Uint8Array, out: Float32Array, scores: Float32Array,
                               n_kv: number, head_dim: number, n_group: number, scale: number): void {
  for (let g = 0; g < n_group; g++) {
    oneHead(t, q, g * head_dim, k, v, out, g * head_dim, scores, g * n_kv, n_kv, head_dim, scale);
  }
}

// q, out (m, q_stride), group at 0; query i sees key rows [0, n_kv - m + i]; rows i in [i0, i1)
export function attn_prefill_kv(t: KVRowType, q: Float32Array, k: Uint8Array, v: Uint8Array, out: Float32Array, scores: Float32Array,
                                m: number, n_kv: number, head_dim: number, n_group: number, q_stride: number,
                                scale: number, i0: number, i1: number,
                                acc?: Float32Array, acc_from = 0, acc_stride = 0): void {
  for (let i = i0; i < i1; i++) {
    for (let g = 0; g < n_group; g++) {
      const o = i * q_stride + g * head_dim;
      const n_vis = n_kv - m + i + 1;
      oneHead(t, q, o, k, v, out, o, scores, 0, n_vis, head_dim, scale);
      if (acc && i >= acc_from) for (let j = 0; j < n_vis; j++) acc[g * acc_stride + j] += scores[j];
    }
  }
}
