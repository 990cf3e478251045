// Decode attention of one layer, a range of its query heads at a time: the unit a thread pool
// splits (src/wasm/ops/parallel.ts). Each KV head's query group runs through the same kernel as
// one attn_decode_<t> call (attention.ts), so the result has the same bits however the heads are
// cut (every query head's scores, softmax and weighted sum are computed on their own, whatever
// else of its group shares the call).
//
// attn_decode_heads_<t>(q, out, heads, scores, score_stride, u0, u1, head_dim, n_group, scale)
//   q, out       (n_heads, head_dim) f32; query head u belongs to KV head u / n_group
//   heads        (n_kv_heads, 3) i32: per KV head the byte address of its K block, of its V block,
//                and its valid rows n_h (>= 0; rows of type t, as attn_decode_<t> reads them);
//                q8_0_res: (n_kv_heads, 6), then the window's K, V block addresses and rows nw, and
//                the head's rows are n_h + nw (attnres.ts)
//   scores       (n_kv_heads, n_group, score_stride) f32: KV head h's softmax weights land at
//                h * n_group * score_stride as (n_group, n_h) rows n_h apart (attn_decode's layout);
//                score_stride >= every n_h
//   [u0, u1)     the query heads computed: a part may start or end inside a group
// t = f32, f16, q8_0. n_h = 0 gives that group's out = 0. Nothing here allocates.
import { attn_decode_f16, attn_decode_f32, attn_decode_q8_0 } from "./attention";
import { KV_F16, KV_F32, KV_Q8_0 } from "./kvrows";
import { attn_decode_q8_0_res } from "./attnres";

// the type tag of Q8_0 rows with a residual window (attnres.ts): not a row type of kvrows.ts
const Q8_0_RES: i32 = -1;

// @ts-ignore: decorator
@inline function attn_decode_heads(t: i32, q: usize, out: usize, heads: usize, scores: usize, score_stride: i32,
                                   u0: i32, u1: i32, head_dim: i32, n_group: i32, scale: f32): void {
  const hrow = <usize>head_dim << 2;
  let u = u0;
  while (u < u1) {
    const h = u / n_group, first = h * n_group;
    const g0 = u - first, g1 = min(n_group, u1 - first);
    const e = heads + <usize>h * (t == Q8_0_RES ? 24 : 12);
    const k = <usize>load<u32>(e), v = <usize>load<u32>(e, 4), nk = load<i32>(e, 8);
    const nw = t == Q8_0_RES ? load<i32>(e, 20) : 0, n = nk + nw;
    const s = scores + ((<usize>first * <usize>score_stride + <usize>g0 * <usize>n) << 2);
    const o = <usize>u * hrow;
    if (t == Q8_0_RES) attn_decode_q8_0_res(q + o, k, v, nk, <usize>load<u32>(e, 12), <usize>load<u32>(e, 16), nw, out + o, s, head_dim, g1 - g0, scale);
    else if (t == KV_F32) attn_decode_f32(q + o, k, v, out + o, s, nk, head_dim, g1 - g0, scale);
    else if (t == KV_F16) attn_decode_f16(q + o, k, v, out + o, s, nk, head_dim, g1 - g0, scale);
    else attn_decode_q8_0(q + o, k, v, out + o, s, nk, head_dim, g1 - g0, scale);
    u = first + g1;
  }
}

export function attn_decode_heads_f32(q: usize, out: usize, heads: usize, scores: usize, score_stride: i32,
                                      u0: i32, u1: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode_heads(KV_F32, q, out, heads, scores, score_stride, u0, u1, head_dim, n_group, scale);
}
export function attn_decode_heads_f16(q: usize, out: usize, heads: usize, scores: usize, score_stride: i32,
                                      u0: i32, u1: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode_heads(KV_F16, q, out, heads, scores, score_stride, u0, u1, head_dim, n_group, scale);
}
export function attn_decode_heads_q8_0(q: usize, out: usize, heads: usize, scores: usize, score_stride: i32,
                                       u0: i32, u1: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode_heads(KV_Q8_0, q, out, heads, scores, score_stride, u0, u1, head_dim, n_group, scale);
}
export function attn_decode_heads_q8_0_res(q: usize, out: usize, heads: usize, scores: usize, score_stride: i32,
                                           u0: i32, u1: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode_heads(Q8_0_RES, q, out, heads, scores, score_stride, u0, u1, head_dim, n_group, scale);
}
