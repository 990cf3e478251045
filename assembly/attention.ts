// Attention of query heads over one KV head of a compact KV cache (GQA), with the cache rows
// stored as f32, f16 or Q8_0 (row formats: kvrows.ts) and read in place: no dequantized copy.
// Cache block of one layer and KV head: K (cap, head_dim) and V (cap, head_dim) rows, rowBytes
// apart, of which the first n_kv are valid; keys already carry RoPE at their original positions.
// The n_group query heads that share this KV head sit contiguously, (n_group, head_dim) f32.
// score[g, j] = scale * q_g . k_j;  w[g, :] = softmax(score[g, :]);  out_g = sum_j w[g, j] v_j
//
// attn_decode_<t>   q, out (n_group, head_dim); scores (n_group, n_kv) scratch that holds w on return
// attn_prefill_<t>  q, out (m, q_stride), this KV head's group at the pointer; causal: query i of
//                   the chunk sees key rows [0, n_kv - m + i]; rows i in [i0, i1); scores (n_kv)
//                   scratch, (2, n_kv) for f32 rows (two query heads at a time: attn_prefill_pairs_f32)
// t = f32, f16, q8_0. f32 and f16 keys meet the f32 query (f16 converted to float in registers).
// Q8_0 keys meet the query quantized to i16 once per call (attnq8.ts): per 32-block an exact
// integer dot, times the block's scale and the query's, so the scores cost integer
// multiply-adds (i32x4.dot_i16x8_s) on the stored bytes; the i16 query's rounding is far below the
// Q8_0 key's. V rows are converted to f32 in registers and accumulated in f32. The i16 query needs
// no scratch of its own: it lives in the head's output row, which the weighted sum writes only
// after every score is computed (so out may not overlap q, as before).
// head_dim 8 (rows of one short block, stories260K): specialised Q8_0 loops, four rows per step,
// and in decode each value row converted once for the whole query group. f16 rows are read four
// at a time (dot4_f16, axpy4_f16) like f32's; Q8_0 keys arrive centered by the store (kv/store.ts),
// which changes no kernel: softmax ignores the constant q . mu.
//
// Non-finite inputs: a NaN anywhere in a visible score row makes that query head's weights and
// output NaN (the row max is NaN); a non-finite Q8_0 block does so too (kvrows.ts), and over Q8_0
// rows so does a NaN or an infinity in the query head (its i16 scale is NaN). Pointers are byte
// offsets; nothing here allocates.
import { add_f32 } from "./elementwise";
import { f16x4_to_f32x4, fmadd, hsum } from "./simd";
import { softmax_row } from "./softmax";
import { f16_to_f32 } from "./qblocks";
import { KV_F16, KV_F32, KV_Q8_0, kv_row_bytes } from "./kvrows";
import { quantize_query_i16, scores_row_q8_0, weighted_sum_q8_0, weighted_sum_q8_0_d8_group, weighted_sum_q8_0_group } from "./attnq8";

// ---- building blocks (shared with aggregate.ts) ---------------------------------------------

// dot(a, b) over d floats
// @ts-ignore: decorator
@inline export function dot_f32(a: usize, b: usize, d: i32): f32 {
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let c = 0;
  for (; c + 8 <= d; c += 8) {
    const o = <usize>c << 2;
    acc0 = fmadd(v128.load(a + o), v128.load(b + o), acc0);
    acc1 = fmadd(v128.load(a + o, 16), v128.load(b + o, 16), acc1);
  }
  if (c + 4 <= d) {
    const o = <usize>c << 2;
    acc0 = fmadd(v128.load(a + o), v128.load(b + o), acc0);
    c += 4;
  }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; c < d; c++) s += load<f32>(a + (<usize>c << 2)) * load<f32>(b + (<usize>c << 2));
  return s;
}

// the four dots q . k0, q . k1, q . k2, q . k3 (rows `row` bytes apart) as one vector; q loaded once
// @ts-ignore: decorator
@inline export function dot4_f32(q: usize, k0: usize, row: usize, d: i32): v128 {
  const k1 = k0 + row, k2 = k1 + row, k3 = k2 + row;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= d; c += 4) {
    const o = <usize>c << 2;
    const qv = v128.load(q + o);
    a0 = fmadd(qv, v128.load(k0 + o), a0);
    a1 = fmadd(qv, v128.load(k1 + o), a1);
    a2 = fmadd(qv, v128.load(k2 + o), a2);
    a3 = fmadd(qv, v128.load(k3 + o), a3);
  }
  // transpose-add: lane i of the result is the horizontal sum of a_i
  const s01 = f32x4.add(i32x4.shuffle(a0, a1, 0, 4, 1, 5), i32x4.shuffle(a0, a1, 2, 6, 3, 7));
  const s23 = f32x4.add(i32x4.shuffle(a2, a3, 0, 4, 1, 5), i32x4.shuffle(a2, a3, 2, 6, 3, 7));
  let r = f32x4.add(i32x4.shuffle(s01, s23, 0, 1, 4, 5), i32x4.shuffle(s01, s23, 2, 3, 6, 7));
  if (c < d) {
    let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
    for (; c < d; c++) {
      const o = <usize>c << 2;
      const qs = load<f32>(q + o);
      t0 += qs * load<f32>(k0 + o);
      t1 += qs * load<f32>(k1 + o);
      t2 += qs * load<f32>(k2 + o);
      t3 += qs * load<f32>(k3 + o);
    }
    let t = f32x4.splat(t0);
    t = f32x4.replace_lane(t, 1, t1);
    t = f32x4.replace_lane(t, 2, t2);
    r = f32x4.add(r, f32x4.replace_lane(t, 3, t3));
  }
  return r;
}

// s[j] = scale * q . k_j for j in [0, n); k rows of d floats
export function attn_scores_row(q: usize, k: usize, s: usize, n: i32, d: i32, scale: f32): void {
  const row = <usize>d << 2;
  const sv = f32x4.splat(scale);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(s + (<usize>j << 2), f32x4.mul(dot4_f32(q, k + <usize>j * row, row, d), sv));
  for (; j < n; j++) store<f32>(s + (<usize>j << 2), dot_f32(q, k + <usize>j * row, d) * scale);
}

// out (d) += sum_j w[j] v_j for j in [0, n); four value rows per pass over out
export function attn_weighted_sum(w: usize, v: usize, out: usize, n: i32, d: i32): void {
  const row = <usize>d << 2;
  let c = 0;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const wp = w + (<usize>j << 2);
    const w0 = load<f32>(wp), w1 = load<f32>(wp, 4), w2 = load<f32>(wp, 8), w3 = load<f32>(wp, 12);
    const wv0 = f32x4.splat(w0), wv1 = f32x4.splat(w1), wv2 = f32x4.splat(w2), wv3 = f32x4.splat(w3);
    const v0 = v + <usize>j * row, v1 = v0 + row, v2 = v1 + row, v3 = v2 + row;
    for (c = 0; c + 4 <= d; c += 4) {
      const o = <usize>c << 2;
      let acc = v128.load(out + o);
      acc = fmadd(wv0, v128.load(v0 + o), acc);
      acc = fmadd(wv1, v128.load(v1 + o), acc);
      acc = fmadd(wv2, v128.load(v2 + o), acc);
      acc = fmadd(wv3, v128.load(v3 + o), acc);
      v128.store(out + o, acc);
    }
    for (; c < d; c++) {
      const o = <usize>c << 2;
      let acc = load<f32>(out + o);
      acc += w0 * load<f32>(v0 + o);
      acc += w1 * load<f32>(v1 + o);
      acc += w2 * load<f32>(v2 + o);
      acc += w3 * load<f32>(v3 + o);
      store<f32>(out + o, acc);
    }
  }
  for (; j < n; j++) {
    const wj = load<f32>(w + (<usize>j << 2));
    const wv = f32x4.splat(wj);
    const vj = v + <usize>j * row;
    for (c = 0; c + 4 <= d; c += 4) {
      const o = <usize>c << 2;
      v128.store(out + o, fmadd(wv, v128.load(vj + o), v128.load(out + o)));
    }
    for (; c < d; c++) {
      const o = <usize>c << 2;
      store<f32>(out + o, load<f32>(out + o) + wj * load<f32>(vj + o));
    }
  }
}

// ---- f16 rows ---------------------------------------------------------------------------

// dot(q, k) over d values: q f32, k f16
// @ts-ignore: decorator
@inline function dot_f16(q: usize, k: usize, d: i32): f32 {
  let acc = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= d; c += 4) acc = fmadd(v128.load(q + (<usize>c << 2)), f16x4_to_f32x4(v128.load16x4_u(k + (<usize>c << 1))), acc);
  let s = hsum(acc);
  for (; c < d; c++) s += load<f32>(q + (<usize>c << 2)) * f16_to_f32(<u32>load<u16>(k + (<usize>c << 1)));
  return s;
}

// out (d) += w * v, v f16
// @ts-ignore: decorator
@inline function axpy_f16(w: f32, v: usize, out: usize, d: i32): void {
  const wv = f32x4.splat(w);
  let c = 0;
  for (; c + 4 <= d; c += 4) {
    const o = out + (<usize>c << 2);
    v128.store(o, fmadd(wv, f16x4_to_f32x4(v128.load16x4_u(v + (<usize>c << 1))), v128.load(o)));
  }
  for (; c < d; c++) {
    const o = out + (<usize>c << 2);
    store<f32>(o, load<f32>(o) + w * f16_to_f32(<u32>load<u16>(v + (<usize>c << 1))));
  }
}

// the four dots q . k0 .. q . k3 (f16 rows `row` bytes apart) as one f32x4; q loaded once
// @ts-ignore: decorator
@inline function dot4_f16(q: usize, k0: usize, row: usize, d: i32): v128 {
  const k1 = k0 + row, k2 = k1 + row, k3 = k2 + row;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= d; c += 4) {
    const qv = v128.load(q + (<usize>c << 2)), o = <usize>c << 1;
    a0 = fmadd(qv, f16x4_to_f32x4(v128.load16x4_u(k0 + o)), a0);
    a1 = fmadd(qv, f16x4_to_f32x4(v128.load16x4_u(k1 + o)), a1);
    a2 = fmadd(qv, f16x4_to_f32x4(v128.load16x4_u(k2 + o)), a2);
    a3 = fmadd(qv, f16x4_to_f32x4(v128.load16x4_u(k3 + o)), a3);
  }
  let r = hsum4(a0, a1, a2, a3);
  if (c < d) {
    let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
    for (; c < d; c++) {
      const qs = load<f32>(q + (<usize>c << 2)), o = <usize>c << 1;
      t0 += qs * f16_to_f32(<u32>load<u16>(k0 + o));
      t1 += qs * f16_to_f32(<u32>load<u16>(k1 + o));
      t2 += qs * f16_to_f32(<u32>load<u16>(k2 + o));
      t3 += qs * f16_to_f32(<u32>load<u16>(k3 + o));
    }
    let t = f32x4.splat(t0);
    t = f32x4.replace_lane(t, 1, t1);
    t = f32x4.replace_lane(t, 2, t2);
    r = f32x4.add(r, f32x4.replace_lane(t, 3, t3));
  }
  return r;
}

// out (d) += sum_i w_i v_i over four f16 rows `row` bytes apart: each 4 outputs loaded and stored once
// @ts-ignore: decorator
@inline function axpy4_f16(w: usize, v0: usize, row: usize, out: usize, d: i32): void {
  const v1 = v0 + row, v2 = v1 + row, v3 = v2 + row;
  const w0 = load<f32>(w), w1 = load<f32>(w, 4), w2 = load<f32>(w, 8), w3 = load<f32>(w, 12);
  const wv0 = f32x4.splat(w0), wv1 = f32x4.splat(w1), wv2 = f32x4.splat(w2), wv3 = f32x4.splat(w3);
  let c = 0;
  for (; c + 4 <= d; c += 4) {
    const po = out + (<usize>c << 2), o = <usize>c << 1;
    let acc = v128.load(po);
    acc = fmadd(wv0, f16x4_to_f32x4(v128.load16x4_u(v0 + o)), acc);
    acc = fmadd(wv1, f16x4_to_f32x4(v128.load16x4_u(v1 + o)), acc);
    acc = fmadd(wv2, f16x4_to_f32x4(v128.load16x4_u(v2 + o)), acc);
    acc = fmadd(wv3, f16x4_to_f32x4(v128.load16x4_u(v3 + o)), acc);
    v128.store(po, acc);
  }
  for (; c < d; c++) {
    const po = out + (<usize>c << 2), o = <usize>c << 1;
    let acc = load<f32>(po);
    acc += w0 * f16_to_f32(<u32>load<u16>(v0 + o));
    acc += w1 * f16_to_f32(<u32>load<u16>(v1 + o));
    acc += w2 * f16_to_f32(<u32>load<u16>(v2 + o));
    acc += w3 * f16_to_f32(<u32>load<u16>(v3 + o));
    store<f32>(po, acc);
  }
}

// transpose-add: lane i of the result is the horizontal sum of a_i
// @ts-ignore: decorator
@inline function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = f32x4.add(i32x4.shuffle(a0, a1, 0, 4, 1, 5), i32x4.shuffle(a0, a1, 2, 6, 3, 7));
  const s23 = f32x4.add(i32x4.shuffle(a2, a3, 0, 4, 1, 5), i32x4.shuffle(a2, a3, 2, 6, 3, 7));
  return f32x4.add(i32x4.shuffle(s01, s23, 0, 1, 4, 5), i32x4.shuffle(s01, s23, 2, 3, 6, 7));
}

// ---- one template per step, over the row type t (a literal at every call site; attnres.ts uses the f16 ones) ----
// Q8_0 rows: attnq8.ts (the scores take the query head's i16 quantization qi as well)

// s[j] = scale * q . k_j for j in [0, n); qi: q as i16 (quantize_query_i16), read for Q8_0 rows only
// @ts-ignore: decorator
@inline export function scores_row(t: i32, q: usize, qi: usize, k: usize, s: usize, n: i32, d: i32, scale: f32): void {
  if (t == KV_F32) { attn_scores_row(q, k, s, n, d, scale); return; }
  if (t == KV_Q8_0) { scores_row_q8_0(q, qi, k, s, n, d, scale); return; }
  const row = kv_row_bytes(t, d), sv = f32x4.splat(scale);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(s + (<usize>j << 2), f32x4.mul(dot4_f16(q, k + <usize>j * row, row, d), sv));
  for (; j < n; j++) store<f32>(s + (<usize>j << 2), dot_f16(q, k + <usize>j * row, d) * scale);
}

// out (d) += sum_j w[j] v_j for j in [0, n)
// @ts-ignore: decorator
@inline export function weighted_sum(t: i32, w: usize, v: usize, out: usize, n: i32, d: i32): void {
  if (t == KV_F32) { attn_weighted_sum(w, v, out, n, d); return; }
  if (t == KV_Q8_0) { weighted_sum_q8_0(w, v, out, n, d); return; }
  const row = kv_row_bytes(t, d);
  let j = 0;
  for (; j + 4 <= n; j += 4) axpy4_f16(w + (<usize>j << 2), v + <usize>j * row, row, out, d);
  for (; j < n; j++) axpy_f16(load<f32>(w + (<usize>j << 2)), v + <usize>j * row, out, d);
}

// one query head: scores into s (n), softmax, weighted sum of V into out (d); n = 0 gives out = 0.
// Q8_0: out holds the head's i16 query until the scores are done.
// @ts-ignore: decorator
@inline function attn_one_head(t: i32, q: usize, k: usize, v: usize, out: usize, s: usize, n: i32, d: i32, scale: f32): void {
  if (n > 0) {
    if (t == KV_Q8_0) quantize_query_i16(q, out, d);
    scores_row(t, q, out, k, s, n, d, scale);
  }
  memory.fill(out, 0, <usize>d << 2);
  if (n > 0) {
    softmax_row(s, s, n);
    weighted_sum(t, s, v, out, n, d);
  }
}

// Cache rows per tile in decode: the group's heads visit a tile of K (then of V) one after the
// other, so it is read from memory once and from L1 n_group - 1 times (64 rows x 64 floats = 16 KiB).
const TILE_ROWS: i32 = 64;

// Q8_0: out (n_group, head_dim) f32 holds the group's i16 queries, head g's at out + g * hrow, until
// every score is computed.
// @ts-ignore: decorator
@inline function attn_decode(t: i32, q: usize, k: usize, v: usize, out: usize, scores: usize,
                             n_kv: i32, head_dim: i32, n_group: i32, scale: f32): void {
  const hrow = <usize>head_dim << 2, srow = <usize>n_kv << 2;
  const row = kv_row_bytes(t, head_dim);
  if (n_kv == 0) { memory.fill(out, 0, <usize>n_group * hrow); return; }
  if (t == KV_Q8_0) for (let g = 0; g < n_group; g++) quantize_query_i16(q + <usize>g * hrow, out + <usize>g * hrow, head_dim);
  for (let j0 = 0; j0 < n_kv; j0 += TILE_ROWS) {
    const nt = min(TILE_ROWS, n_kv - j0);
    const kt = k + <usize>j0 * row, st = scores + (<usize>j0 << 2);
    for (let g = 0; g < n_group; g++) {
      const o = <usize>g * hrow;
      scores_row(t, q + o, out + o, kt, st + <usize>g * srow, nt, head_dim, scale);
    }
  }
  memory.fill(out, 0, <usize>n_group * hrow);
  for (let g = 0; g < n_group; g++) softmax_row(scores + <usize>g * srow, scores + <usize>g * srow, n_kv);
  if (t == KV_Q8_0 && head_dim == 8) {
    weighted_sum_q8_0_d8_group(scores, srow, v, out, n_kv, n_group);
    return;
  }
  if (t == KV_Q8_0) {
    for (let j0 = 0; j0 < n_kv; j0 += TILE_ROWS) {
      const nt = min(TILE_ROWS, n_kv - j0);
      weighted_sum_q8_0_group(scores + (<usize>j0 << 2), srow, v + <usize>j0 * row, out, nt, head_dim, n_group);
    }
    return;
  }
  for (let j0 = 0; j0 < n_kv; j0 += TILE_ROWS) {
    const nt = min(TILE_ROWS, n_kv - j0);
    const vt = v + <usize>j0 * row, st = scores + (<usize>j0 << 2);
    for (let g = 0; g < n_group; g++) weighted_sum(t, st + <usize>g * srow, vt, out + <usize>g * hrow, nt, head_dim);
  }
}


// ---- f32 prefill, two query heads at a time ----------------------------------------------------
// Prefill reads this KV head's K and V once per query head; a pair of query heads (the next two
// of the chunk's (row, head) sequence) shares every K and V load: the scores take a 2 x 4 register
// tile (8 accumulators + 2 query + 4 key loads), the weighted sum 2 heads x 16 outputs (8
// accumulators + 4 value loads + 2 weight splats) held in registers over the value rows. Each
// score and output is summed in the single-head order (a score: lane sums over c in steps of 4,
// then dot4_f32's transpose-add, keys past the last multiple of 4 through dot_f32; an output: one
// multiply-add chain over j = 0, 1, ...), so the pair gives the bits attn_one_head gives.
// Measured (F32 SmolLM2-135M shape, prompt 512 in 64-row chunks, 1 thread; see the header of
// src/model/transformer.ts): attention was 13 % of prefill time before.

// sa[j] = scale * qa . k_j and sb[j] = scale * qb . k_j for j in [0, n4), n4 a multiple of 4;
// d a multiple of 4
function scores2_f32(qa: usize, qb: usize, k: usize, sa: usize, sb: usize, n4: i32, d: i32, scale: f32): void {
  const row = <usize>d << 2, sv = f32x4.splat(scale), end = <usize>d << 2;
  for (let j = 0; j < n4; j += 4) {
    const k0 = k + <usize>j * row, k1 = k0 + row, k2 = k1 + row, k3 = k2 + row;
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (let o: usize = 0; o < end; o += 16) {
      const x = v128.load(qa + o), y = v128.load(qb + o);
      const w0 = v128.load(k0 + o), w1 = v128.load(k1 + o), w2 = v128.load(k2 + o), w3 = v128.load(k3 + o);
      a0 = fmadd(x, w0, a0); b0 = fmadd(y, w0, b0);
      a1 = fmadd(x, w1, a1); b1 = fmadd(y, w1, b1);
      a2 = fmadd(x, w2, a2); b2 = fmadd(y, w2, b2);
      a3 = fmadd(x, w3, a3); b3 = fmadd(y, w3, b3);
    }
    const so = <usize>j << 2;
    v128.store(sa + so, f32x4.mul(hsum4(a0, a1, a2, a3), sv));
    v128.store(sb + so, f32x4.mul(hsum4(b0, b1, b2, b3), sv));
  }
}

// oa (d) += sum_j wa[j] v_j and ob (d) += sum_j wb[j] v_j for j in [0, n); d a multiple of 4.
// 16 outputs of each head per pass over the value rows (then 4 at a time), accumulated in registers.
function weighted_sum2_f32(wa: usize, wb: usize, v: usize, oa: usize, ob: usize, n: i32, d: i32): void {
  const row = <usize>d << 2, wend = wa + (<usize>n << 2);
  let c = 0;
  for (; c + 16 <= d; c += 16) {
    const o = <usize>c << 2;
    let a0 = v128.load(oa + o), a1 = v128.load(oa + o, 16), a2 = v128.load(oa + o, 32), a3 = v128.load(oa + o, 48);
    let b0 = v128.load(ob + o), b1 = v128.load(ob + o, 16), b2 = v128.load(ob + o, 32), b3 = v128.load(ob + o, 48);
    let pv = v + o, pb = wb;
    for (let pa = wa; pa < wend; pa += 4, pb += 4, pv += row) {
      const v0 = v128.load(pv), v1 = v128.load(pv, 16), v2 = v128.load(pv, 32), v3 = v128.load(pv, 48);
      const x = v128.load32_splat(pa), y = v128.load32_splat(pb);
      a0 = fmadd(x, v0, a0); b0 = fmadd(y, v0, b0);
      a1 = fmadd(x, v1, a1); b1 = fmadd(y, v1, b1);
      a2 = fmadd(x, v2, a2); b2 = fmadd(y, v2, b2);
      a3 = fmadd(x, v3, a3); b3 = fmadd(y, v3, b3);
    }
    v128.store(oa + o, a0); v128.store(oa + o, a1, 16); v128.store(oa + o, a2, 32); v128.store(oa + o, a3, 48);
    v128.store(ob + o, b0); v128.store(ob + o, b1, 16); v128.store(ob + o, b2, 32); v128.store(ob + o, b3, 48);
  }
  for (; c < d; c += 4) {
    const o = <usize>c << 2;
    let a0 = v128.load(oa + o), b0 = v128.load(ob + o);
    let pv = v + o, pb = wb;
    for (let pa = wa; pa < wend; pa += 4, pb += 4, pv += row) {
      const v0 = v128.load(pv);
      a0 = fmadd(v128.load32_splat(pa), v0, a0); b0 = fmadd(v128.load32_splat(pb), v0, b0);
    }
    v128.store(oa + o, a0); v128.store(ob + o, b0);
  }
}

// Two f32 query heads qa, qb over the first na and nb (>= 1) cache rows: scores in sa, sb (n_kv
// each), outputs oa, ob (d), as attn_one_head(KV_F32, ...) computes each (same bits). d % 4 == 0.
function attn_two_heads_f32(qa: usize, qb: usize, k: usize, v: usize, oa: usize, ob: usize, sa: usize, sb: usize,
                            na: i32, nb: i32, d: i32, scale: f32): void {
  const row = <usize>d << 2;
  // keys both heads see in whole fours, then each head's own rest as attn_scores_row takes it
  const n4 = min(na & ~3, nb & ~3);
  scores2_f32(qa, qb, k, sa, sb, n4, d, scale);
  const ko = k + <usize>n4 * row, so = <usize>n4 << 2;
  attn_scores_row(qa, ko, sa + so, na - n4, d, scale);
  attn_scores_row(qb, ko, sb + so, nb - n4, d, scale);
  softmax_row(sa, sa, na);
  softmax_row(sb, sb, nb);
  memory.fill(oa, 0, row);
  memory.fill(ob, 0, row);
  // rows both heads see together, then each head's own rest continues its chain from out
  const n = min(na, nb), vo = v + <usize>n * row, wo = <usize>n << 2;
  weighted_sum2_f32(sa, sb, v, oa, ob, n, d);
  attn_weighted_sum(sa + wo, vo, oa, na - n, d);
  attn_weighted_sum(sb + wo, vo, ob, nb - n, d);
}

// The chunk's query heads (row i, head g) in order u = (i - i0) * n_group + g, two at a time
// (the last alone when their count is odd). scores (2, n_kv).
// @ts-ignore: decorator
@inline function attn_prefill_pairs_f32(q: usize, k: usize, v: usize, out: usize, scores: usize, m: i32,
                                        n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                                        i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  const hrow = <usize>head_dim << 2, qrow = <usize>q_stride << 2;
  const sb = scores + (<usize>n_kv << 2);
  const total = (i1 - i0) * n_group;
  for (let u = 0; u < total; u += 2) {
    const ia = i0 + u / n_group, ga = u % n_group;
    const oa = <usize>ia * qrow + <usize>ga * hrow, na = n_kv - m + ia + 1;
    if (u + 1 == total) {
      attn_one_head(KV_F32, q + oa, k, v, out + oa, scores, na, head_dim, scale);
    } else {
      const ib = i0 + (u + 1) / n_group, gb = (u + 1) % n_group;
      const ob = <usize>ib * qrow + <usize>gb * hrow, nb = n_kv - m + ib + 1;
      attn_two_heads_f32(q + oa, q + ob, k, v, out + oa, out + ob, scores, sb, na, nb, head_dim, scale);
    }
    // window sums in the single-head order (a then b: with n_group = 1 they add to the same cells)
    if (acc != 0 && ia >= acc_from) {
      const a = acc + ((<usize>ga * <usize>acc_stride) << 2);
      add_f32(a, scores, a, 0, na);
    }
    if (acc != 0 && u + 1 < total) {
      const ib = i0 + (u + 1) / n_group, gb = (u + 1) % n_group;
      if (ib >= acc_from) {
        const a = acc + ((<usize>gb * <usize>acc_stride) << 2);
        add_f32(a, sb, a, 0, n_kv - m + ib + 1);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function attn_prefill(t: i32, q: usize, k: usize, v: usize, out: usize, scores: usize, m: i32,
                              n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                              i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  if (t == KV_F32 && (head_dim & 3) == 0) {
    attn_prefill_pairs_f32(q, k, v, out, scores, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride);
    return;
  }
  const hrow = <usize>head_dim << 2;
  const qrow = <usize>q_stride << 2;
  for (let i = i0; i < i1; i++) {
    const n_vis = n_kv - m + i + 1;
    for (let g = 0; g < n_group; g++) {
      const o = <usize>i * qrow + <usize>g * hrow;
      attn_one_head(t, q + o, k, v, out + o, scores, n_vis, head_dim, scale);
      if (acc != 0 && i >= acc_from) {
        const a = acc + ((<usize>g * <usize>acc_stride) << 2);
        add_f32(a, scores, a, 0, n_vis);
      }
    }
  }
}

// ---- kernels --------------------------------------------------------------------------------

// attn_decode_<t>: one query token over one KV head.
// q, out (n_group, head_dim) f32; k, v (>= n_kv) rows of type t; scores (n_group, n_kv) <- softmax
// weights
export function attn_decode_f32(q: usize, k: usize, v: usize, out: usize, scores: usize,
                                n_kv: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode(KV_F32, q, k, v, out, scores, n_kv, head_dim, n_group, scale);
}
export function attn_decode_f16(q: usize, k: usize, v: usize, out: usize, scores: usize,
                                n_kv: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode(KV_F16, q, k, v, out, scores, n_kv, head_dim, n_group, scale);
}
export function attn_decode_q8_0(q: usize, k: usize, v: usize, out: usize, scores: usize,
                                 n_kv: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode(KV_Q8_0, q, k, v, out, scores, n_kv, head_dim, n_group, scale);
}

// attn_prefill_<t>: a causal chunk of m query tokens (the last m of the n_kv cache rows) over one
// KV head. q, out (m, q_stride) with this KV head's group (n_group * head_dim) at the pointer;
// k, v (>= n_kv) rows of type t; scores (n_kv) scratch, (2, n_kv) for f32; query rows i in
// [i0, i1); requires m <= n_kv.
// acc (n_group, acc_stride), optional (0 = none): rows i >= acc_from add their softmax weights,
// acc[g, j] += p_ig[j] for j < n_vis (the attention KV policies read from a window of queries).
export function attn_prefill_f32(q: usize, k: usize, v: usize, out: usize, scores: usize, m: i32,
                                 n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                                 i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  attn_prefill(KV_F32, q, k, v, out, scores, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride);
}
export function attn_prefill_f16(q: usize, k: usize, v: usize, out: usize, scores: usize, m: i32,
                                 n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                                 i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  attn_prefill(KV_F16, q, k, v, out, scores, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride);
}
export function attn_prefill_q8_0(q: usize, k: usize, v: usize, out: usize, scores: usize, m: i32,
                                  n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                                  i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  attn_prefill(KV_Q8_0, q, k, v, out, scores, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride);
}

