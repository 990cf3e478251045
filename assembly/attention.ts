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
// t = f32, f16, q8_0. The query stays f32 for every type: q . k dots it with the key converted in
// registers (f16: half to float; q8_0: per 32-block s_b * sum_c q_c * k_c, the i8 quants widened
// to f32 and the scale applied once per block), so only the stored key carries rounding. V rows
// are converted the same way and accumulated in f32. Measured against ggml's way (the query
// quantized to a Q8_0 row, integer dots per block), 40 TinyStories prompts, full cache vs the f32
// one: BabyLlama KL mean 1.18e-4 (integer 1.45e-4), top-1 0.996 both; stories260K KL 2.09e-3
// (2.29e-3), top-1 0.974 (0.976); decode attention at 2,048 tokens, head_dim 64, 0.75x of f32
// (integer 0.70x) on a loaded machine. One path for every head_dim: the integer one is not
// better in quality and barely faster, and needs a query scratch.
// head_dim 8 (rows of one short block, stories260K): a specialised loop, four rows per step, and in
// decode each key and value row converted once for the whole query group. f16 rows are read four
// at a time (dot4_f16, axpy4_f16) like f32's; Q8_0 keys arrive centered by the store (kv/store.ts),
// which changes no kernel: softmax ignores the constant q . mu.
//
// Non-finite inputs: a NaN anywhere in a visible score row makes that query head's weights and
// output NaN (the row max is NaN); a non-finite Q8_0 block does so too (kvrows.ts). Pointers are
// byte offsets; nothing here allocates.
import { add_f32 } from "./elementwise";
import { f16x4_to_f32x4, fmadd, hsum } from "./simd";
import { softmax_row } from "./softmax";
import { f16_to_f32 } from "./qblocks";
import { KV_F16, KV_F32, KV_Q8_0, kv_row_bytes } from "./kvrows";

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

// ---- Q8_0 rows ---------------------------------------------------------------------------
// A row is blocks of (f16 scale, n <= 32 quants); eight quants at a time are loaded sign-extended
// to i16x8 (v128.load8x8_s) and widened to two f32x4, the tail of a block below 8 quants one at a
// time. The query stays f32: q . k = sum over blocks s_b * sum_c q_c * k_c, the scale applied once
// per block (the quants are exact in f32, so only the key carries rounding).

// the four f16 scales at p, p + row, p + 2 row, p + 3 row as one f32x4
// @ts-ignore: decorator
@inline function scales4_f16(p: usize, row: usize): v128 {
  let h = i32x4.splat(<i32>load<u16>(p));
  h = i32x4.replace_lane(h, 1, <i32>load<u16>(p + row));
  h = i32x4.replace_lane(h, 2, <i32>load<u16>(p + 2 * row));
  h = i32x4.replace_lane(h, 3, <i32>load<u16>(p + 3 * row));
  return f16x4_to_f32x4(h);
}

// low and high four of eight i8 quants loaded as i16x8, as f32x4
// @ts-ignore: decorator
@inline function q8_lo(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q)); }
// @ts-ignore: decorator
@inline function q8_hi(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q)); }

// transpose-add: lane i of the result is the horizontal sum of a_i
// @ts-ignore: decorator
@inline function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = f32x4.add(i32x4.shuffle(a0, a1, 0, 4, 1, 5), i32x4.shuffle(a0, a1, 2, 6, 3, 7));
  const s23 = f32x4.add(i32x4.shuffle(a2, a3, 0, 4, 1, 5), i32x4.shuffle(a2, a3, 2, 6, 3, 7));
  return f32x4.add(i32x4.shuffle(s01, s23, 0, 1, 4, 5), i32x4.shuffle(s01, s23, 2, 3, 6, 7));
}

// q . k over d values: q f32, k one Q8_0 row
// @ts-ignore: decorator
@inline function dot_q8_0(q: usize, k: usize, d: i32): f32 {
  let r = f32x4.splat(0);
  let rt: f32 = 0;
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = min(32, d - c0);
    const pq = q + (<usize>c0 << 2), pk = k + 2;
    let a = f32x4.splat(0);
    let c = 0;
    for (; c + 8 <= n; c += 8) {
      const kq = v128.load8x8_s(pk + <usize>c), o = pq + (<usize>c << 2);
      a = fmadd(v128.load(o), q8_lo(kq), a);
      a = fmadd(v128.load(o, 16), q8_hi(kq), a);
    }
    const sk = f16_to_f32(<u32>load<u16>(k));
    r = fmadd(a, f32x4.splat(sk), r);
    if (c < n) {
      let t: f32 = 0;
      for (; c < n; c++) t += load<f32>(pq + (<usize>c << 2)) * <f32>load<i8>(pk + <usize>c);
      rt += t * sk;
    }
    k += 2 + <usize>n;
  }
  return hsum(r) + rt;
}

// the four dots q . k0 .. q . k3 (Q8_0 rows `row` bytes apart) as one f32x4; q loaded once
// @ts-ignore: decorator
@inline function dot4_q8_0(q: usize, k0: usize, row: usize, d: i32): v128 {
  let r = f32x4.splat(0);
  let k = k0;
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = min(32, d - c0);
    const pq = q + (<usize>c0 << 2), p0 = k + 2, p1 = p0 + row, p2 = p1 + row, p3 = p2 + row;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let c = 0;
    for (; c + 8 <= n; c += 8) {
      const oc = <usize>c, o = pq + (oc << 2);
      const ql = v128.load(o), qh = v128.load(o, 16);
      const k0q = v128.load8x8_s(p0 + oc), k1q = v128.load8x8_s(p1 + oc);
      const k2q = v128.load8x8_s(p2 + oc), k3q = v128.load8x8_s(p3 + oc);
      a0 = fmadd(qh, q8_hi(k0q), fmadd(ql, q8_lo(k0q), a0));
      a1 = fmadd(qh, q8_hi(k1q), fmadd(ql, q8_lo(k1q), a1));
      a2 = fmadd(qh, q8_hi(k2q), fmadd(ql, q8_lo(k2q), a2));
      a3 = fmadd(qh, q8_hi(k3q), fmadd(ql, q8_lo(k3q), a3));
    }
    let bs = hsum4(a0, a1, a2, a3);
    if (c < n) {
      let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
      for (; c < n; c++) {
        const oc = <usize>c, qv = load<f32>(pq + (oc << 2));
        t0 += qv * <f32>load<i8>(p0 + oc);
        t1 += qv * <f32>load<i8>(p1 + oc);
        t2 += qv * <f32>load<i8>(p2 + oc);
        t3 += qv * <f32>load<i8>(p3 + oc);
      }
      let t = f32x4.splat(t0);
      t = f32x4.replace_lane(t, 1, t1);
      t = f32x4.replace_lane(t, 2, t2);
      bs = f32x4.add(bs, f32x4.replace_lane(t, 3, t3));
    }
    // lane i: (block sum of key i) * s_k_i
    r = fmadd(bs, scales4_f16(k, row), r);
    k += 2 + <usize>n;
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
  const w4 = v128.load(w);
  let v = v0;
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = min(32, d - c0);
    const ws = f32x4.mul(w4, scales4_f16(v, row));      // lane i: w_i * s_i
    const ws0 = i32x4.shuffle(ws, ws, 0, 0, 0, 0), ws1 = i32x4.shuffle(ws, ws, 1, 1, 1, 1);
    const ws2 = i32x4.shuffle(ws, ws, 2, 2, 2, 2), ws3 = i32x4.shuffle(ws, ws, 3, 3, 3, 3);
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
    if (c < n) {
      const s0 = f32x4.extract_lane(ws, 0), s1 = f32x4.extract_lane(ws, 1), s2 = f32x4.extract_lane(ws, 2), s3 = f32x4.extract_lane(ws, 3);
      for (; c < n; c++) {
        const oc = <usize>c, o = po + (oc << 2);
        let acc = load<f32>(o);
        acc += s0 * <f32>load<i8>(p0 + oc);
        acc += s1 * <f32>load<i8>(p1 + oc);
        acc += s2 * <f32>load<i8>(p2 + oc);
        acc += s3 * <f32>load<i8>(p3 + oc);
        store<f32>(o, acc);
      }
    }
    v += 2 + <usize>n;
  }
}

// ---- Q8_0 rows of one 8-value block (head_dim 8: 10-byte rows, stories260K) ------------------
// No block loop: four rows (40 bytes) per step; their four scales come from two 16-byte loads and
// one shuffle (f16x4_to_f32x4 ignores the upper half of each lane, so its filler bytes do not matter).

// the scales of four 10-byte rows at p as one f32x4
// @ts-ignore: decorator
@inline function scales4_f16_row10(p: usize): v128 {
  const a = v128.load(p), b = v128.load(p, 16);  // bytes 0..15 and 16..31: scales at 0, 10, 20, 30
  return f16x4_to_f32x4(i8x16.shuffle(a, b, 0, 1, 0, 1, 10, 11, 10, 11, 20, 21, 20, 21, 30, 31, 30, 31));
}

// s[j] = scale * q . k_j for j in [0, n), d = 8: four keys per step, the scale applied per key
function scores_q8_0_d8(q: usize, k: usize, s: usize, n: i32, scale: f32): void {
  const ql = v128.load(q), qh = v128.load(q, 16), sv = f32x4.splat(scale);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = k + <usize>j * 10;
    const k0 = v128.load8x8_s(p + 2), k1 = v128.load8x8_s(p + 12), k2 = v128.load8x8_s(p + 22), k3 = v128.load8x8_s(p + 32);
    const a0 = fmadd(qh, q8_hi(k0), f32x4.mul(ql, q8_lo(k0)));
    const a1 = fmadd(qh, q8_hi(k1), f32x4.mul(ql, q8_lo(k1)));
    const a2 = fmadd(qh, q8_hi(k2), f32x4.mul(ql, q8_lo(k2)));
    const a3 = fmadd(qh, q8_hi(k3), f32x4.mul(ql, q8_lo(k3)));
    v128.store(s + (<usize>j << 2), f32x4.mul(f32x4.mul(hsum4(a0, a1, a2, a3), scales4_f16_row10(p)), sv));
  }
  for (; j < n; j++) store<f32>(s + (<usize>j << 2), dot_q8_0(q, k + <usize>j * 10, 8) * scale);
}

// out (8) += sum_j w[j] v_j for j in [0, n), d = 8: four rows per step, out held in registers
function weighted_sum_q8_0_d8(w: usize, v: usize, out: usize, n: i32): void {
  let lo = v128.load(out), hi = v128.load(out, 16);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = v + <usize>j * 10;
    const ws = f32x4.mul(v128.load(w + (<usize>j << 2)), scales4_f16_row10(p));   // lane i: w_i * s_i
    const q0 = v128.load8x8_s(p + 2), q1 = v128.load8x8_s(p + 12), q2 = v128.load8x8_s(p + 22), q3 = v128.load8x8_s(p + 32);
    const w0 = i32x4.shuffle(ws, ws, 0, 0, 0, 0), w1 = i32x4.shuffle(ws, ws, 1, 1, 1, 1);
    const w2 = i32x4.shuffle(ws, ws, 2, 2, 2, 2), w3 = i32x4.shuffle(ws, ws, 3, 3, 3, 3);
    lo = fmadd(w0, q8_lo(q0), lo); hi = fmadd(w0, q8_hi(q0), hi);
    lo = fmadd(w1, q8_lo(q1), lo); hi = fmadd(w1, q8_hi(q1), hi);
    lo = fmadd(w2, q8_lo(q2), lo); hi = fmadd(w2, q8_hi(q2), hi);
    lo = fmadd(w3, q8_lo(q3), lo); hi = fmadd(w3, q8_hi(q3), hi);
  }
  v128.store(out, lo);
  v128.store(out, hi, 16);
  for (; j < n; j++) axpy_q8_0(load<f32>(w + (<usize>j << 2)), v + <usize>j * 10, out, 8);
}

// Decode over the whole query group at once: each key and value row is converted once and used by
// every head of the group (n_group >= 2 in GQA models), instead of once per head.
// scores (n_group, n_kv) rows srow bytes apart: s[g, j] = scale * q_g . k_j for j in [0, n)
function scores_q8_0_d8_group(q: usize, k: usize, s: usize, srow: usize, n: i32, n_group: i32, scale: f32): void {
  const sv = f32x4.splat(scale);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = k + <usize>j * 10;
    const k0 = v128.load8x8_s(p + 2), k1 = v128.load8x8_s(p + 12), k2 = v128.load8x8_s(p + 22), k3 = v128.load8x8_s(p + 32);
    const l0 = q8_lo(k0), h0 = q8_hi(k0), l1 = q8_lo(k1), h1 = q8_hi(k1);
    const l2 = q8_lo(k2), h2 = q8_hi(k2), l3 = q8_lo(k3), h3 = q8_hi(k3);
    const sc = f32x4.mul(scales4_f16_row10(p), sv);
    const so = s + (<usize>j << 2);
    for (let g = 0; g < n_group; g++) {
      const qg = q + (<usize>g << 5), ql = v128.load(qg), qh = v128.load(qg, 16);
      const a0 = fmadd(qh, h0, f32x4.mul(ql, l0)), a1 = fmadd(qh, h1, f32x4.mul(ql, l1));
      const a2 = fmadd(qh, h2, f32x4.mul(ql, l2)), a3 = fmadd(qh, h3, f32x4.mul(ql, l3));
      v128.store(so + <usize>g * srow, f32x4.mul(hsum4(a0, a1, a2, a3), sc));
    }
  }
  for (; j < n; j++) {
    for (let g = 0; g < n_group; g++) store<f32>(s + <usize>g * srow + (<usize>j << 2), dot_q8_0(q + (<usize>g << 5), k + <usize>j * 10, 8) * scale);
  }
}

// out (n_group, 8) += sum_j w[g, j] v_j for j in [0, n); w rows srow bytes apart
function weighted_sum_q8_0_d8_group(w: usize, srow: usize, v: usize, out: usize, n: i32, n_group: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = v + <usize>j * 10;
    const v0 = v128.load8x8_s(p + 2), v1 = v128.load8x8_s(p + 12), v2 = v128.load8x8_s(p + 22), v3 = v128.load8x8_s(p + 32);
    const l0 = q8_lo(v0), h0 = q8_hi(v0), l1 = q8_lo(v1), h1 = q8_hi(v1);
    const l2 = q8_lo(v2), h2 = q8_hi(v2), l3 = q8_lo(v3), h3 = q8_hi(v3);
    const sc = scales4_f16_row10(p);
    for (let g = 0; g < n_group; g++) {
      const ws = f32x4.mul(v128.load(w + <usize>g * srow + (<usize>j << 2)), sc);   // lane i: w_i * s_i
      const w0 = i32x4.shuffle(ws, ws, 0, 0, 0, 0), w1 = i32x4.shuffle(ws, ws, 1, 1, 1, 1);
      const w2 = i32x4.shuffle(ws, ws, 2, 2, 2, 2), w3 = i32x4.shuffle(ws, ws, 3, 3, 3, 3);
      const og = out + (<usize>g << 5);
      let lo = v128.load(og), hi = v128.load(og, 16);
      lo = fmadd(w0, l0, lo); hi = fmadd(w0, h0, hi);
      lo = fmadd(w1, l1, lo); hi = fmadd(w1, h1, hi);
      lo = fmadd(w2, l2, lo); hi = fmadd(w2, h2, hi);
      lo = fmadd(w3, l3, lo); hi = fmadd(w3, h3, hi);
      v128.store(og, lo);
      v128.store(og, hi, 16);
    }
  }
  for (; j < n; j++) {
    for (let g = 0; g < n_group; g++) axpy_q8_0(load<f32>(w + <usize>g * srow + (<usize>j << 2)), v + <usize>j * 10, out + (<usize>g << 5), 8);
  }
}

// ---- one template per step, over the row type t (a literal at every call site) ----------------

// s[j] = scale * q . k_j for j in [0, n)
// @ts-ignore: decorator
@inline function scores_row(t: i32, q: usize, k: usize, s: usize, n: i32, d: i32, scale: f32): void {
  if (t == KV_F32) { attn_scores_row(q, k, s, n, d, scale); return; }
  const row = kv_row_bytes(t, d);
  let j = 0;
  if (t == KV_Q8_0) {
    if (d == 8) { scores_q8_0_d8(q, k, s, n, scale); return; }
    const sv = f32x4.splat(scale);
    for (; j + 4 <= n; j += 4) v128.store(s + (<usize>j << 2), f32x4.mul(dot4_q8_0(q, k + <usize>j * row, row, d), sv));
    for (; j < n; j++) store<f32>(s + (<usize>j << 2), dot_q8_0(q, k + <usize>j * row, d) * scale);
  } else {
    const sv = f32x4.splat(scale);
    for (; j + 4 <= n; j += 4) v128.store(s + (<usize>j << 2), f32x4.mul(dot4_f16(q, k + <usize>j * row, row, d), sv));
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
    if (d == 8) { weighted_sum_q8_0_d8(w, v, out, n); return; }
    for (; j + 4 <= n; j += 4) axpy4_q8_0(w + (<usize>j << 2), v + <usize>j * row, row, out, d);
    for (; j < n; j++) axpy_q8_0(load<f32>(w + (<usize>j << 2)), v + <usize>j * row, out, d);
  } else {
    for (; j + 4 <= n; j += 4) axpy4_f16(w + (<usize>j << 2), v + <usize>j * row, row, out, d);
    for (; j < n; j++) axpy_f16(load<f32>(w + (<usize>j << 2)), v + <usize>j * row, out, d);
  }
}

// one query head: scores into s (n), softmax, weighted sum of V into out (d); n = 0 gives out = 0
// @ts-ignore: decorator
@inline function attn_one_head(t: i32, q: usize, k: usize, v: usize, out: usize, s: usize, n: i32, d: i32, scale: f32): void {
  memory.fill(out, 0, <usize>d << 2);
  if (n > 0) {
    scores_row(t, q, k, s, n, d, scale);
    softmax_row(s, s, n);
    weighted_sum(t, s, v, out, n, d);
  }
}

// Cache rows per tile in decode: the group's heads visit a tile of K (then of V) one after the
// other, so it is read from memory once and from L1 n_group - 1 times (64 rows x 64 floats = 16 KiB).
const TILE_ROWS: i32 = 64;

// @ts-ignore: decorator
@inline function attn_decode(t: i32, q: usize, k: usize, v: usize, out: usize, scores: usize,
                             n_kv: i32, head_dim: i32, n_group: i32, scale: f32): void {
  const hrow = <usize>head_dim << 2, srow = <usize>n_kv << 2;
  const row = kv_row_bytes(t, head_dim);
  memory.fill(out, 0, <usize>n_group * hrow);
  if (n_kv == 0) return;
  if (t == KV_Q8_0 && head_dim == 8) {
    scores_q8_0_d8_group(q, k, scores, srow, n_kv, n_group, scale);
    for (let g = 0; g < n_group; g++) softmax_row(scores + <usize>g * srow, scores + <usize>g * srow, n_kv);
    weighted_sum_q8_0_d8_group(scores, srow, v, out, n_kv, n_group);
    return;
  }
  for (let j0 = 0; j0 < n_kv; j0 += TILE_ROWS) {
    const nt = min(TILE_ROWS, n_kv - j0);
    const kt = k + <usize>j0 * row, st = scores + (<usize>j0 << 2);
    for (let g = 0; g < n_group; g++) scores_row(t, q + <usize>g * hrow, kt, st + <usize>g * srow, nt, head_dim, scale);
  }
  for (let g = 0; g < n_group; g++) softmax_row(scores + <usize>g * srow, scores + <usize>g * srow, n_kv);
  for (let j0 = 0; j0 < n_kv; j0 += TILE_ROWS) {
    const nt = min(TILE_ROWS, n_kv - j0);
    const vt = v + <usize>j0 * row, st = scores + (<usize>j0 << 2);
    for (let g = 0; g < n_group; g++) weighted_sum(t, st + <usize>g * srow, vt, out + <usize>g * hrow, nt, head_dim);
  }
}

// @ts-ignore: decorator
@inline function attn_prefill(t: i32, q: usize, k: usize, v: usize, out: usize, scores: usize, m: i32,
                              n_kv: i32, head_dim: i32, n_group: i32, q_stride: i32, scale: f32,
                              i0: i32, i1: i32, acc: usize, acc_from: i32, acc_stride: i32): void {
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
// k, v (>= n_kv) rows of type t; scores (n_kv) scratch; query rows i in
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

