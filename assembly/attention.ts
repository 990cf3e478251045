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
// t = f32, f16, q8_0. qs: scratch of n_group Q8_0 rows (kv_row_bytes(KV_Q8_0, head_dim) each) for
// q8_0, where each query head is quantized to a Q8_0 row first and q . k is an integer dot per
// 32-block times both scales (ggml's vec_dot_q8_0_q8_0); f32 and f16 ignore qs (pass 0) and dot
// the f32 query with the (converted) key. V rows are converted in registers and accumulated in f32.
//
// Non-finite inputs: a NaN anywhere in a visible score row makes that query head's weights and
// output NaN (the row max is NaN); a non-finite Q8_0 block does so too (kvrows.ts). Pointers are
// byte offsets; nothing here allocates.
import { add_f32 } from "./elementwise";
import { f16x4_to_f32x4, fmadd, hsum } from "./simd";
import { softmax_row } from "./softmax";
import { f16_to_f32 } from "./qblocks";
import { KV_F16, KV_F32, KV_Q8_0, kv_row_bytes, quantize_row_kv_q8_0 } from "./kvrows";

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

// ---- Q8_0 rows ---------------------------------------------------------------------------
// A row is blocks of (f16 scale, n <= 32 quants); eight quants at a time are loaded sign-extended
// to i16x8 (v128.load8x8_s), the tail of a block below 8 quants one at a time.

// integer dot of the n quants at a and b (n <= 32): products <= 127^2, sums < 2^20
// @ts-ignore: decorator
@inline function idot_q8(a: usize, b: usize, n: i32): i32 {
  let acc = i32x4.splat(0);
  let c = 0;
  for (; c + 8 <= n; c += 8) acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(a + <usize>c), v128.load8x8_s(b + <usize>c)));
  acc = i32x4.add(acc, i32x4.shuffle(acc, acc, 2, 3, 0, 1));
  let s = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1);
  for (; c < n; c++) s += <i32>load<i8>(a + <usize>c) * <i32>load<i8>(b + <usize>c);
  return s;
}

// dot of two Q8_0 rows of d values: sum over blocks of idot * s_a * s_b
// @ts-ignore: decorator
@inline function dot_q8_0(a: usize, b: usize, d: i32): f32 {
  let s: f32 = 0;
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = min(32, d - c0);
    s += <f32>idot_q8(a + 2, b + 2, n) * (f16_to_f32(<u32>load<u16>(a)) * f16_to_f32(<u32>load<u16>(b)));
    a += 2 + <usize>n; b += 2 + <usize>n;
  }
  return s;
}

// the four dots qq . k0 .. qq . k3 (Q8_0 rows `row` bytes apart) as one f32x4; lane i = dot_q8_0(qq, k_i)
// @ts-ignore: decorator
@inline function dot4_q8_0(qq: usize, k0: usize, row: usize, d: i32): v128 {
  let r = f32x4.splat(0);
  let k = k0;
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = min(32, d - c0);
    const pq = qq + 2, p0 = k + 2, p1 = p0 + row, p2 = p1 + row, p3 = p2 + row;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let c = 0;
    for (; c + 8 <= n; c += 8) {
      const o = <usize>c;
      const qv = v128.load8x8_s(pq + o);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(qv, v128.load8x8_s(p0 + o)));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(qv, v128.load8x8_s(p1 + o)));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(qv, v128.load8x8_s(p2 + o)));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(qv, v128.load8x8_s(p3 + o)));
    }
    // transpose-add: lane i is the horizontal sum of a_i
    const s01 = i32x4.add(i32x4.shuffle(a0, a1, 0, 4, 1, 5), i32x4.shuffle(a0, a1, 2, 6, 3, 7));
    const s23 = i32x4.add(i32x4.shuffle(a2, a3, 0, 4, 1, 5), i32x4.shuffle(a2, a3, 2, 6, 3, 7));
    let isum = i32x4.add(i32x4.shuffle(s01, s23, 0, 1, 4, 5), i32x4.shuffle(s01, s23, 2, 3, 6, 7));
    if (c < n) {
      let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (; c < n; c++) {
        const o = <usize>c, qs = <i32>load<i8>(pq + o);
        t0 += qs * <i32>load<i8>(p0 + o);
        t1 += qs * <i32>load<i8>(p1 + o);
        t2 += qs * <i32>load<i8>(p2 + o);
        t3 += qs * <i32>load<i8>(p3 + o);
      }
      let t = i32x4.splat(t0);
      t = i32x4.replace_lane(t, 1, t1);
      t = i32x4.replace_lane(t, 2, t2);
      isum = i32x4.add(isum, i32x4.replace_lane(t, 3, t3));
    }
    let sc = f32x4.splat(f16_to_f32(<u32>load<u16>(k)));
    sc = f32x4.replace_lane(sc, 1, f16_to_f32(<u32>load<u16>(k + row)));
    sc = f32x4.replace_lane(sc, 2, f16_to_f32(<u32>load<u16>(k + 2 * row)));
    sc = f32x4.replace_lane(sc, 3, f16_to_f32(<u32>load<u16>(k + 3 * row)));
    sc = f32x4.mul(sc, f32x4.splat(f16_to_f32(<u32>load<u16>(qq))));
    // lane i: idot_i * (s_k_i * s_q), as dot_q8_0 rounds it
    r = f32x4.add(r, f32x4.mul(f32x4.convert_i32x4_s(isum), sc));
    qq += 2 + <usize>n; k += 2 + <usize>n;
  }
  return r;
}

// out (d) += w * v for one Q8_0 row v: per block w * s, times the quants widened to f32
// @ts-ignore: decorator
@inline function axpy_q8_0(w: f32, v: usize, out: usize, d: i32): void {
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = min(32, d - c0);
    const ws: f32 = w * f16_to_f32(<u32>load<u16>(v));
    const wv = f32x4.splat(ws), pv = v + 2, po = out + (<usize>c0 << 2);
    let c = 0;
    for (; c + 8 <= n; c += 8) {
      const q = v128.load8x8_s(pv + <usize>c), o = po + (<usize>c << 2);
      v128.store(o, fmadd(wv, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q)), v128.load(o)));
      v128.store(o, fmadd(wv, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q)), v128.load(o, 16)), 16);
    }
    for (; c < n; c++) {
      const o = po + (<usize>c << 2);
      store<f32>(o, load<f32>(o) + ws * <f32>load<i8>(pv + <usize>c));
    }
    v += 2 + <usize>n;
  }
}

// out (d) += sum_i w_i v_i over four Q8_0 rows `row` bytes apart: each 8 outputs loaded and stored once
// @ts-ignore: decorator
@inline function axpy4_q8_0(w: usize, v0: usize, row: usize, out: usize, d: i32): void {
  const w0 = load<f32>(w), w1 = load<f32>(w, 4), w2 = load<f32>(w, 8), w3 = load<f32>(w, 12);
  let v = v0;
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = min(32, d - c0);
    const s0 = w0 * f16_to_f32(<u32>load<u16>(v)), s1 = w1 * f16_to_f32(<u32>load<u16>(v + row));
    const s2 = w2 * f16_to_f32(<u32>load<u16>(v + 2 * row)), s3 = w3 * f16_to_f32(<u32>load<u16>(v + 3 * row));
    const ws0 = f32x4.splat(s0), ws1 = f32x4.splat(s1), ws2 = f32x4.splat(s2), ws3 = f32x4.splat(s3);
    const p0 = v + 2, p1 = p0 + row, p2 = p1 + row, p3 = p2 + row, po = out + (<usize>c0 << 2);
    let c = 0;
    for (; c + 8 <= n; c += 8) {
      const oc = <usize>c, o = po + (oc << 2);
      const q0 = v128.load8x8_s(p0 + oc), q1 = v128.load8x8_s(p1 + oc), q2 = v128.load8x8_s(p2 + oc), q3 = v128.load8x8_s(p3 + oc);
      let lo = v128.load(o), hi = v128.load(o, 16);
      lo = fmadd(ws0, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q0)), lo);
      hi = fmadd(ws0, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q0)), hi);
      lo = fmadd(ws1, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q1)), lo);
      hi = fmadd(ws1, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q1)), hi);
      lo = fmadd(ws2, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q2)), lo);
      hi = fmadd(ws2, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q2)), hi);
      lo = fmadd(ws3, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q3)), lo);
      hi = fmadd(ws3, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q3)), hi);
      v128.store(o, lo);
      v128.store(o, hi, 16);
    }
    for (; c < n; c++) {
      const oc = <usize>c, o = po + (oc << 2);
      let acc = load<f32>(o);
      acc += s0 * <f32>load<i8>(p0 + oc);
      acc += s1 * <f32>load<i8>(p1 + oc);
      acc += s2 * <f32>load<i8>(p2 + oc);
      acc += s3 * <f32>load<i8>(p3 + oc);
      store<f32>(o, acc);
    }
    v += 2 + <usize>n;
  }
}

// ---- one template per step, over the row type t (a literal at every call site) ----------------

// s[j] = scale * q . k_j for j in [0, n); qq: q as a Q8_0 row (t = KV_Q8_0)
// @ts-ignore: decorator
@inline function scores_row(t: i32, q: usize, qq: usize, k: usize, s: usize, n: i32, d: i32, scale: f32): void {
  if (t == KV_F32) { attn_scores_row(q, k, s, n, d, scale); return; }
  const row = kv_row_bytes(t, d);
  let j = 0;
  if (t == KV_Q8_0) {
    const sv = f32x4.splat(scale);
    for (; j + 4 <= n; j += 4) v128.store(s + (<usize>j << 2), f32x4.mul(dot4_q8_0(qq, k + <usize>j * row, row, d), sv));
    for (; j < n; j++) store<f32>(s + (<usize>j << 2), dot_q8_0(qq, k + <usize>j * row, d) * scale);
  } else {
    for (; j < n; j++) store<f32>(s + (<usize>j << 2), dot_f16(q, k + <usize>j * row, d) * scale);
  }
}

// out (d) += sum_j w[j] v_j for j in [0, n)
// @ts-ignore: decorator
@inline function weighted_sum(t: i32, w: usize, v: usize, out: usize, n: i32, d: i32): void {
  if (t == KV_F32) { attn_weighted_sum(w, v, out, n, d); return; }
  const row = kv_row_bytes(t, d);
  let j = 0;
  if (t == KV_Q8_0) {
    for (; j + 4 <= n; j += 4) axpy4_q8_0(w + (<usize>j << 2), v + <usize>j * row, row, out, d);
    for (; j < n; j++) axpy_q8_0(load<f32>(w + (<usize>j << 2)), v + <usize>j * row, out, d);
  } else {
    for (; j < n; j++) axpy_f16(load<f32>(w + (<usize>j << 2)), v + <usize>j * row, out, d);
  }
}

// one query head: scores into s (n), softmax, weighted sum of V into out (d); n = 0 gives out = 0
// @ts-ignore: decorator
@inline function attn_one_head(t: i32, q: usize, qq: usize, k: usize, v: usize, out: usize, s: usize, n: i32, d: i32, scale: f32): void {
  memory.fill(out, 0, <usize>d << 2);
  if (n > 0) {
    scores_row(t, q, qq, k, s, n, d, scale);
    softmax_row(s, s, n);
    weighted_sum(t, s, v, out, n, d);
  }
}

// Cache rows per tile in decode: the group's heads visit a tile of K (then of V) one after the
// other, so it is read from memory once and from L1 n_group - 1 times (64 rows x 64 floats = 16 KiB).
const TILE_ROWS: i32 = 64;

// @ts-ignore: decorator
@inline function attn_decode(t: i32, q: usize, k: usize, v: usize, out: usize, scores: usize, qs: usize,
                             n_kv: i32, head_dim: i32, n_group: i32, scale: f32): void {
  const hrow = <usize>head_dim << 2, srow = <usize>n_kv << 2;
  const row = kv_row_bytes(t, head_dim), qrow = kv_row_bytes(KV_Q8_0, head_dim);
  memory.fill(out, 0, <usize>n_group * hrow);
  if (n_kv == 0) return;
  if (t == KV_Q8_0) for (let g = 0; g < n_group; g++) quantize_row_kv_q8_0(q + <usize>g * hrow, qs + <usize>g * qrow, head_dim);
  for (let j0 = 0; j0 < n_kv; j0 += TILE_ROWS) {
    const nt = min(TILE_ROWS, n_kv - j0);
    const kt = k + <usize>j0 * row, st = scores + (<usize>j0 << 2);
    for (let g = 0; g < n_group; g++) scores_row(t, q + <usize>g * hrow, qs + <usize>g * qrow, kt, st + <usize>g * srow, nt, head_dim, scale);
  }
  for (let g = 0; g < n_group; g++) softmax_row(scores + <usize>g * srow, scores + <usize>g * srow, n_kv);
  for (let j0 = 0; j0 < n_kv; j0 += TILE_ROWS) {
    const nt = min(TILE_ROWS, n_kv - j0);
    const vt = v + <usize>j0 * row, st = scores + (<usize>j0 << 2);
    for (let g = 0; g < n_group; g++) weighted_sum(t, st + <usize>g * srow, vt, out + <usize>g * hrow, nt, head_dim);
  }
}

// @ts-ignore: decorator
@inline function attn_prefill(t: i32, q: usize, k: usize, v: usize, out: usize, scores: usize, qs: usize, m: i32,
                              n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                              i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  const hrow = <usize>head_dim << 2;
  const qrow = <usize>q_stride << 2;
  for (let i = i0; i < i1; i++) {
    const n_vis = n_kv - m + i + 1;
    for (let g = 0; g < n_group; g++) {
      const o = <usize>i * qrow + <usize>g * hrow;
      if (t == KV_Q8_0) quantize_row_kv_q8_0(q + o, qs, head_dim);
      attn_one_head(t, q + o, qs, k, v, out + o, scores, n_vis, head_dim, scale);
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
// weights; qs (n_group Q8_0 rows) scratch for q8_0, else unused
export function attn_decode_f32(q: usize, k: usize, v: usize, out: usize, scores: usize, qs: usize,
                                n_kv: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode(KV_F32, q, k, v, out, scores, qs, n_kv, head_dim, n_group, scale);
}
export function attn_decode_f16(q: usize, k: usize, v: usize, out: usize, scores: usize, qs: usize,
                                n_kv: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode(KV_F16, q, k, v, out, scores, qs, n_kv, head_dim, n_group, scale);
}
export function attn_decode_q8_0(q: usize, k: usize, v: usize, out: usize, scores: usize, qs: usize,
                                 n_kv: i32, head_dim: i32, n_group: i32, scale: f32): void {
  attn_decode(KV_Q8_0, q, k, v, out, scores, qs, n_kv, head_dim, n_group, scale);
}

// attn_prefill_<t>: a causal chunk of m query tokens (the last m of the n_kv cache rows) over one
// KV head. q, out (m, q_stride) with this KV head's group (n_group * head_dim) at the pointer;
// k, v (>= n_kv) rows of type t; scores (n_kv) scratch; qs (one Q8_0 row) scratch for q8_0; query
// rows i in [i0, i1); requires m <= n_kv.
// acc (n_group, acc_stride), optional (0 = none): rows i >= acc_from add their softmax weights,
// acc[g, j] += p_ig[j] for j < n_vis (the attention KV policies read from a window of queries).
export function attn_prefill_f32(q: usize, k: usize, v: usize, out: usize, scores: usize, qs: usize, m: i32,
                                 n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                                 i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  attn_prefill(KV_F32, q, k, v, out, scores, qs, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride);
}
export function attn_prefill_f16(q: usize, k: usize, v: usize, out: usize, scores: usize, qs: usize, m: i32,
                                 n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                                 i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  attn_prefill(KV_F16, q, k, v, out, scores, qs, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride);
}
export function attn_prefill_q8_0(q: usize, k: usize, v: usize, out: usize, scores: usize, qs: usize, m: i32,
                                  n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                                  i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
  attn_prefill(KV_Q8_0, q, k, v, out, scores, qs, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride);
}
