// Plain TypeScript reference for assembly/attnres.ts: attention over a Q8_0 KV head with a
// residual window (kv/store.ts), its older rows Q8_0 (nq of them) and its newest rows f16 (nw):
// scores of the Q8_0 rows into s[0, nq) (the i16 query, as src/ref/kvrows.ts), of the window rows
// into s[nq, nq + nw), one softmax over both, and the weighted sum of both segments' values.
// The test oracle and the fallback; the sums in f64.
import { dotRow, kvRowBytes, quantizeQueryI16, rowValue } from "./kvrows.ts";
import { softmaxInPlace } from "./attention.ts";

const fr = Math.fround;

// one query head at q[qo..qo+d) over nq Q8_0 rows (k, v) then nw f16 rows (wk, wv, from row 0):
// weights into s[so..so+nq+nw), output into out[oo..oo+d)
function oneHeadRes(q: Float32Array, qo: number, k: Uint8Array, v: Uint8Array, nq: number, wk: Uint8Array, wv: Uint8Array, nw: number,
                    out: Float32Array, oo: number, s: Float32Array, so: number, d: number, scale: number): void {
  const rb = kvRowBytes("q8_0", d), n = nq + nw;
  if (nq > 0) {
    const iq = quantizeQueryI16(q, qo, d), f = fr(iq.sq * fr(scale));
    for (let j = 0; j < nq; j++) s[so + j] = dotRow("q8_0", q, qo, iq.qi, k, j * rb, d) * f;
  }
  for (let j = 0; j < nw; j++) s[so + nq + j] = dotRow("f16", q, qo, undefined, wk, j * 2 * d, d) * fr(scale);
  if (n > 0) softmaxInPlace(s, so, n);
  for (let c = 0; c < d; c++) {
    let acc = 0;
    for (let j = 0; j < nq; j++) acc += s[so + j] * rowValue("q8_0", v, j * rb, d, c);
    for (let j = 0; j < nw; j++) acc += s[so + nq + j] * rowValue("f16", wv, j * 2 * d, d, c);
    out[oo + c] = acc;
  }
}

// q, out (n_group, head_dim); k, v (nq Q8_0 rows); wk, wv (nw f16 rows); scores (n_group, nq + nw)
export function attn_decode_q8_0_res(q: Float32Array, k: Uint8Array, v: Uint8Array, nq: number, wk: Uint8Array, wv: Uint8Array, nw: number,
                                     out: Float32Array, scores: Float32Array, head_dim: number, n_group: number, scale: number): void {
  const n = nq + nw;
  for (let g = 0; g < n_group; g++) oneHeadRes(q, g * head_dim, k, v, nq, wk, wv, nw, out, g * head_dim, scores, g * n, head_dim, scale);
}

// q, out (m, q_stride), group at 0; the m query tokens are the last m of the nq + nw rows in the
// joined order, query i sees rows [0, nq + nw - m + i]; rows i in [i0, i1); scores (nq + nw)
export function attn_prefill_q8_0_res(q: Float32Array, k: Uint8Array, v: Uint8Array, wk: Uint8Array, wv: Uint8Array, out: Float32Array,
                                      scores: Float32Array, m: number, nq: number, nw: number, head_dim: number, n_group: number,
                                      q_stride: number, scale: number, i0: number, i1: number,
                                      acc?: Float32Array, acc_from = 0, acc_stride = 0): void {
  for (let i = i0; i < i1; i++) {
    const nVis = nq + nw - m + i + 1, nqv = Math.min(nq, nVis);
    for (let g = 0; g < n_group; g++) {
      const o = i * q_stride + g * head_dim;
      oneHeadRes(q, o, k, v, nqv, wk, wv, nVis - nqv, out, o, scores, 0, head_dim, scale);
      if (acc && i >= acc_from) for (let j = 0; j < nVis; j++) acc[g * acc_stride + j] += scores[j];
    }
  }
}
