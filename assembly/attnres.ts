// Attention over a Q8_0 KV head with a residual window (src/kv/store.ts): the head's older rows
// are Q8_0 (nq of them, row format kvrows.ts), its newest rows f16 (nw, keys centered like the
// Q8_0 ones, so one softmax covers both: q . mu is the same constant for every row). The joined
// order is the Q8_0 rows, then the window's; scores and weights follow it.
// s[g, j] = scale * q_g . k_j (Q8_0 rows j < nq with the i16 query as attention.ts's q8_0 path,
// window rows j >= nq as its f16 path); w[g, :] = softmax(s[g, :]); out_g = sum_j w[g, j] v_j.
//
// attn_decode_q8_0_res    q, out (n_group, head_dim) f32; k, v nq Q8_0 rows; wk, wv nw f16 rows
//                         (head_dim halves each); scores (n_group, nq + nw) <- softmax weights
// attn_prefill_q8_0_res   q, out (m, q_stride), this KV head's group at the pointer; the m query
//                         tokens are the last m of the nq + nw rows: query i sees joined rows
//                         [0, nq + nw - m + i]; rows i in [i0, i1); scores (nq + nw) scratch; acc
//                         as attn_prefill_<t> (attention.ts)
// attn_decode_heads_q8_0_res   (attnheads.ts) attn_decode_heads_<t> over heads (n_kv_heads, 6)
//                         i32: per KV head K, V block addresses, nq, window K, V addresses, nw;
//                         KV head h's weights (n_group, nq + nw) at h * n_group * score_stride
// nq + nw = 0 gives out = 0. Non-finite inputs as attention.ts: a NaN in any visible score row
// (a non-finite Q8_0 block, query or window row) makes that head's weights and output NaN.
// The Q8_0 query lives in the head's output row until its scores are done (out may not overlap q).
// Pointers are byte offsets; nothing here allocates.
import { add_f32 } from "./elementwise";
import { softmax_row } from "./softmax";
import { scores_row, weighted_sum } from "./attention";
import { KV_F16, KV_Q8_0, kv_row_bytes } from "./kvrows";
import { quantize_query_i16, scores_row_q8_0, weighted_sum_q8_0, weighted_sum_q8_0_d8_group, weighted_sum_q8_0_group } from "./attnq8";

// cache rows per tile in decode, as attention.ts's
const TILE_ROWS: i32 = 64;

export function attn_decode_q8_0_res(q: usize, k: usize, v: usize, nq: i32, wk: usize, wv: usize, nw: i32, out: usize, scores: usize,
                                     head_dim: i32, n_group: i32, scale: f32): void {
  const hrow = <usize>head_dim << 2, n = nq + nw, srow = <usize>n << 2;
  const row = kv_row_bytes(KV_Q8_0, head_dim);
  if (n == 0) { memory.fill(out, 0, <usize>n_group * hrow); return; }
  if (nq > 0) {
    for (let g = 0; g < n_group; g++) quantize_query_i16(q + <usize>g * hrow, out + <usize>g * hrow, head_dim);
    for (let j0 = 0; j0 < nq; j0 += TILE_ROWS) {
      const nt = min(TILE_ROWS, nq - j0);
      const kt = k + <usize>j0 * row, st = scores + (<usize>j0 << 2);
      for (let g = 0; g < n_group; g++) {
        const o = <usize>g * hrow;
        scores_row_q8_0(q + o, out + o, kt, st + <usize>g * srow, nt, head_dim, scale);
      }
    }
  }
  for (let g = 0; g < n_group; g++) scores_row(KV_F16, q + <usize>g * hrow, 0, wk, scores + <usize>g * srow + (<usize>nq << 2), nw, head_dim, scale);
  memory.fill(out, 0, <usize>n_group * hrow);
  for (let g = 0; g < n_group; g++) softmax_row(scores + <usize>g * srow, scores + <usize>g * srow, n);
  if (head_dim == 8) weighted_sum_q8_0_d8_group(scores, srow, v, out, nq, n_group);
  else {
    for (let j0 = 0; j0 < nq; j0 += TILE_ROWS) {
      const nt = min(TILE_ROWS, nq - j0);
      weighted_sum_q8_0_group(scores + (<usize>j0 << 2), srow, v + <usize>j0 * row, out, nt, head_dim, n_group);
    }
  }
  for (let g = 0; g < n_group; g++) weighted_sum(KV_F16, scores + <usize>g * srow + (<usize>nq << 2), wv, out + <usize>g * hrow, nw, head_dim);
}

export function attn_prefill_q8_0_res(q: usize, k: usize, v: usize, wk: usize, wv: usize, out: usize, scores: usize, m: i32, nq: i32, nw: i32,
                                      head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                                      i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  const hrow = <usize>head_dim << 2, qrow = <usize>q_stride << 2;
  for (let i = i0; i < i1; i++) {
    const n_vis = nq + nw - m + i + 1, nqv = min(nq, n_vis), nwv = n_vis - nqv;
    for (let g = 0; g < n_group; g++) {
      const o = <usize>i * qrow + <usize>g * hrow, qo = q + o, oo = out + o;
      if (nqv > 0) {
        quantize_query_i16(qo, oo, head_dim);
        scores_row_q8_0(qo, oo, k, scores, nqv, head_dim, scale);
      }
      scores_row(KV_F16, qo, 0, wk, scores + (<usize>nqv << 2), nwv, head_dim, scale);
      memory.fill(oo, 0, hrow);
      if (n_vis > 0) {
        softmax_row(scores, scores, n_vis);
        weighted_sum_q8_0(scores, v, oo, nqv, head_dim);
        weighted_sum(KV_F16, scores + (<usize>nqv << 2), wv, oo, nwv, head_dim);
      }
      if (acc != 0 && i >= acc_from) {
        const a = acc + ((<usize>g * <usize>acc_stride) << 2);
        add_f32(a, scores, a, 0, n_vis);
      }
    }
  }
}
