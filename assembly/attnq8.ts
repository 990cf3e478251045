// Attention's building blocks over Q8_0 KV rows (row format: kvrows.ts), for attention.ts.
//
// Scores take an integer query. The f32 query head q (d) is quantized once per kernel call:
//   amax = max_c |q_c|,  qi_c = round_half_even(f32(f32(q_c / amax) * 32767)) (i16),  sq = amax / 32767
// (qi = 0 when amax = 0; sq = NaN when q holds a NaN or an infinity, so the head's scores, weights
// and output are NaN). A key row's dot is then
//   q . k ~ sq * sum_b s_b * f32(sum_c qi_c k_c)
// with the block sum over the block's quants exact in i32 (i32x4.dot_i16x8_s over quants loaded as
// i16: |sum| <= 32 * 32767 * 127 < 2^31) and the block's f16 scale s_b applied once per block.
// The i16 query keeps ~15 bits: its rounding (at most amax / 65534 per value) is far below the
// Q8_0 key's own (s_b / 2 per value). src/ref/kvrows.ts does the same arithmetic.
// Where the i16 query lives: `qi` (d) i16 scratch the caller provides (attention.ts lends the head's
// own output row, (d) f32, before the weighted sum writes it).
//
// The scores read four keys a step; each block's four f16 scales are gathered into one vector and
// converted by a shift and a multiply, valid for the finite non-negative scales the store writes;
// the largest scale bits seen decide at the end whether any was not, and then every score of the
// call is NaN (the softmax row would be NaN with any one of them).
//
// Values stay f32: out += sum_j (w_j * s_b(v_j)) * v_j. Decode (weighted_sum_q8_0_group) widens
// each 8 quants of four value rows to f32 once for the whole query group (n_group heads share the
// KV head) and multiply-adds them into every head's output; prefill runs one head at a time
// (weighted_sum_q8_0). Measured (bench/attention-kv-types.ts): the float
// multiply-adds are as many as f32 rows need, so values cost about f32's plus the widening; the
// integer scores are where Q8_0 gains, besides reading a quarter of the bytes.
//
// Non-finite rows: a Q8_0 block with a NaN or infinity has a non-finite scale and zero quants
// (kvrows.ts), so its dots are NaN (0 * inf or 0 * NaN) and the softmax row NaN, as for f32 rows.
// Pointers are byte offsets; nothing here allocates.
import { f16x4_to_f32x4, fmadd, hmax } from "./simd";
import { f16_to_f32 } from "./qblocks";
import { kv_row_bytes, KV_Q8_0 } from "./kvrows";


// out[0, 8) += sum_i w_i * (l_i, h_i) over four rows whose 8 values are widened to f32 as (l_i,
// h_i), w_i the lanes of w (weights times block scales), in row order
// @ts-ignore: decorator
@inline function madd8x4(out: usize, w: v128, l0: v128, h0: v128, l1: v128, h1: v128, l2: v128, h2: v128, l3: v128, h3: v128): void {
  const w0 = i32x4.shuffle(w, w, 0, 0, 0, 0), w1 = i32x4.shuffle(w, w, 1, 1, 1, 1);
  const w2 = i32x4.shuffle(w, w, 2, 2, 2, 2), w3 = i32x4.shuffle(w, w, 3, 3, 3, 3);
  let lo = v128.load(out), hi = v128.load(out, 16);
  lo = fmadd(w0, l0, lo); hi = fmadd(w0, h0, hi);
  lo = fmadd(w1, l1, lo); hi = fmadd(w1, h1, hi);
  lo = fmadd(w2, l2, lo); hi = fmadd(w2, h2, hi);
  lo = fmadd(w3, l3, lo); hi = fmadd(w3, h3, hi);
  v128.store(out, lo);
  v128.store(out, hi, 16);
}

// out[c, n) += sum_i w_i * quants_i[c, n) for the four rows' quants at p0..p3 (i8) and their
// weights times scales w (f32x4), one value at a time in row order: the scalar tail of a block
// @ts-ignore: decorator
@inline function axpyTail4(out: usize, c: i32, n: i32, w: v128, p0: usize, p1: usize, p2: usize, p3: usize): void {
  const w0 = f32x4.extract_lane(w, 0), w1 = f32x4.extract_lane(w, 1), w2 = f32x4.extract_lane(w, 2), w3 = f32x4.extract_lane(w, 3);
  for (; c < n; c++) {
    const oc = <usize>c, o = out + (oc << 2);
    let acc = load<f32>(o);
    acc += w0 * <f32>load<i8>(p0 + oc);
    acc += w1 * <f32>load<i8>(p1 + oc);
    acc += w2 * <f32>load<i8>(p2 + oc);
    acc += w3 * <f32>load<i8>(p3 + oc);
    store<f32>(o, acc);
  }
}

// ---- the query as i16 --------------------------------------------------------------------------

// max_c |q_c| over d floats (NaN if any is NaN)
// @ts-ignore: decorator
@inline function absmax_f32(q: usize, d: i32): f32 {
  let m = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= d; c += 4) m = f32x4.max(m, f32x4.abs(v128.load(q + (<usize>c << 2))));
  let a = hmax(m);
  for (; c < d; c++) a = max(a, abs(load<f32>(q + (<usize>c << 2))));
  return a;
}

// sq = amax / 32767 of the query head q (d floats), the factor of its i16 dots; NaN if q is not finite
// @ts-ignore: decorator
@inline export function query_scale_i16(q: usize, d: i32): f32 {
  const a = absmax_f32(q, d);
  return a < Infinity ? a / 32767 : NaN;
}

// qi (d) i16 <- the query head q (d) f32 quantized against its amax (see the top); qi may not overlap q
export function quantize_query_i16(q: usize, qi: usize, d: i32): void {
  const a = absmax_f32(q, d);
  if (!(a > 0 && a < Infinity)) { memory.fill(qi, 0, <usize>d << 1); return; }
  const av = f32x4.splat(a), k = f32x4.splat(32767);
  let c = 0;
  for (; c + 8 <= d; c += 8) {
    const p = q + (<usize>c << 2);
    const lo = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(f32x4.div(v128.load(p), av), k)));
    const hi = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(f32x4.div(v128.load(p, 16), av), k)));
    v128.store(qi + (<usize>c << 1), i16x8.narrow_i32x4_s(lo, hi));
  }
  for (; c < d; c++) store<i16>(qi + (<usize>c << 1), <i16><i32>nearest(load<f32>(q + (<usize>c << 2)) / a * <f32>32767));
}

// ---- scores --------------------------------------------------------------------------------------

// the four f16 scales at p, p + row, p + 2 row, p + 3 row as one f32x4
// @ts-ignore: decorator
@inline function scales4_f16(p: usize, row: usize): v128 {
  let h = i32x4.splat(<i32>load<u16>(p));
  h = i32x4.replace_lane(h, 1, <i32>load<u16>(p + row));
  h = i32x4.replace_lane(h, 2, <i32>load<u16>(p + 2 * row));
  h = i32x4.replace_lane(h, 3, <i32>load<u16>(p + 3 * row));
  return f16x4_to_f32x4(h);
}

// the scales of four 10-byte rows (head_dim 8: one short block a row) at p as one f32x4: two
// 16-byte loads and one shuffle (f16x4_to_f32x4 ignores the upper half of each lane)
// @ts-ignore: decorator
@inline function scales4_f16_row10(p: usize): v128 {
  const a = v128.load(p), b = v128.load(p, 16);  // bytes 0..15 and 16..31: scales at 0, 10, 20, 30
  return f16x4_to_f32x4(i8x16.shuffle(a, b, 0, 1, 0, 1, 10, 11, 10, 11, 20, 21, 20, 21, 30, 31, 30, 31));
}

// four f16 scales at p, p + row, p + 2 row, p + 3 row as u32 lanes (zero-extended)
// @ts-ignore: decorator
@inline function halves4(p: usize, row: usize): v128 {
  let h = v128.load16_lane(p, i32x4.splat(0), 0);
  h = v128.load16_lane(p + row, h, 2);
  h = v128.load16_lane(p + 2 * row, h, 4);
  return v128.load16_lane(p + 3 * row, h, 6);
}

// halves h (u32 lanes, each <= 0x7bff: finite, non-negative) as f32x4: the bits shifted into an
// f32 with bias 15, times 2^112 (exact, subnormal halves included). A caller keeps max_u of the
// halves: >= 0x7c00 flags a non-finite (or negative) scale, which this would misread.
// @ts-ignore: decorator
@inline function pos_f16x4_to_f32x4(h: v128): v128 {
  return f32x4.mul(i32x4.shl(h, 13), f32x4.splat(reinterpret<f32>(0x77800000)));
}

// transpose-add of i32x4: lane i of the result is the horizontal sum of a_i
// @ts-ignore: decorator
@inline function hsum4_i32(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = i32x4.add(i32x4.shuffle(a0, a1, 0, 4, 1, 5), i32x4.shuffle(a0, a1, 2, 6, 3, 7));
  const s23 = i32x4.add(i32x4.shuffle(a2, a3, 0, 4, 1, 5), i32x4.shuffle(a2, a3, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(s01, s23, 0, 1, 4, 5), i32x4.shuffle(s01, s23, 2, 3, 6, 7));
}

// qi . k for one Q8_0 row k: sum_b s_b * f32(block sum)
// @ts-ignore: decorator
@inline function dot_q8_0_i16(qi: usize, k: usize, d: i32): f32 {
  let r: f32 = 0;
  for (let c0 = 0; c0 < d; c0 += 32) {
    const n = min(32, d - c0);
    const pq = qi + (<usize>c0 << 1), pk = k + 2;
    let a = i32x4.splat(0);
    let c = 0;
    for (; c + 8 <= n; c += 8) a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load(pq + (<usize>c << 1)), v128.load8x8_s(pk + <usize>c)));
    let t = i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
    for (; c < n; c++) t += <i32>load<i16>(pq + (<usize>c << 1)) * <i32>load<i8>(pk + <usize>c);
    r += <f32>t * f16_to_f32(<u32>load<u16>(k));
    k += 2 + <usize>n;
  }
  return r;
}

// the four block sums qi . k0 .. qi . k3 over one block of n <= 32 quants (rows `row` bytes apart,
// quants at p0) as one i32x4; qi loaded once
// @ts-ignore: decorator
@inline function bsum4_q8_0_i16(qi: usize, p0: usize, row: usize, n: i32): v128 {
  const p1 = p0 + row, p2 = p1 + row, p3 = p2 + row;
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  let c = 0;
  for (; c + 8 <= n; c += 8) {
    const oc = <usize>c, qv = v128.load(qi + (oc << 1));
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(qv, v128.load8x8_s(p0 + oc)));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(qv, v128.load8x8_s(p1 + oc)));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(qv, v128.load8x8_s(p2 + oc)));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(qv, v128.load8x8_s(p3 + oc)));
  }
  let bs = hsum4_i32(a0, a1, a2, a3);
  if (c < n) {
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (; c < n; c++) {
      const oc = <usize>c, qv = <i32>load<i16>(qi + (oc << 1));
      t0 += qv * <i32>load<i8>(p0 + oc);
      t1 += qv * <i32>load<i8>(p1 + oc);
      t2 += qv * <i32>load<i8>(p2 + oc);
      t3 += qv * <i32>load<i8>(p3 + oc);
    }
    let t = i32x4.splat(t0);
    t = i32x4.replace_lane(t, 1, t1);
    t = i32x4.replace_lane(t, 2, t2);
    bs = i32x4.add(bs, i32x4.replace_lane(t, 3, t3));
  }
  return bs;
}

// s[j] = scale * q . k_j for j in [0, n): q (d) f32 the query head (for its scale sq), qi (d) its
// i16 quantization (quantize_query_i16). Four keys per step; each block's four scales gathered
// into one vector; a non-finite block scale anywhere makes every s[j] NaN (the softmax row would
// be NaN with any one of them).
// @ts-ignore: decorator
@inline export function scores_row_q8_0(q: usize, qi: usize, k: usize, s: usize, n: i32, d: i32, scale: f32): void {
  const f = query_scale_i16(q, d) * scale, fv = f32x4.splat(f);
  const row = kv_row_bytes(KV_Q8_0, d);
  let bad = i32x4.splat(0);     // max_u of the scales' bits
  let j = 0;
  if (d == 8) {
    // one short block a row (10 bytes): four keys' scales from two 16-byte loads and one shuffle
    const qv = v128.load(qi);
    for (; j + 4 <= n; j += 4) {
      const p = k + <usize>j * 10;
      const a0 = i32x4.dot_i16x8_s(qv, v128.load8x8_s(p + 2)), a1 = i32x4.dot_i16x8_s(qv, v128.load8x8_s(p + 12));
      const a2 = i32x4.dot_i16x8_s(qv, v128.load8x8_s(p + 22)), a3 = i32x4.dot_i16x8_s(qv, v128.load8x8_s(p + 32));
      const h = i32x4.shr_u(i32x4.shl(i8x16.shuffle(v128.load(p), v128.load(p, 16), 0, 1, 0, 1, 10, 11, 10, 11, 20, 21, 20, 21, 30, 31, 30, 31), 16), 16);
      bad = i32x4.max_u(bad, h);
      const bs = f32x4.convert_i32x4_s(hsum4_i32(a0, a1, a2, a3));
      v128.store(s + (<usize>j << 2), f32x4.mul(f32x4.mul(bs, pos_f16x4_to_f32x4(h)), fv));
    }
  } else {
    for (; j + 4 <= n; j += 4) {
      let r = f32x4.splat(0);
      let kb = k + <usize>j * row;
      for (let c0 = 0; c0 < d; c0 += 32) {
        const nb = min(32, d - c0);
        const h = halves4(kb, row);
        bad = i32x4.max_u(bad, h);
        // lane i: (block sum of key i) * s_k_i
        r = fmadd(f32x4.convert_i32x4_s(bsum4_q8_0_i16(qi + (<usize>c0 << 1), kb + 2, row, nb)), pos_f16x4_to_f32x4(h), r);
        kb += 2 + <usize>nb;
      }
      v128.store(s + (<usize>j << 2), f32x4.mul(r, fv));
    }
  }
  for (; j < n; j++) store<f32>(s + (<usize>j << 2), dot_q8_0_i16(qi, k + <usize>j * row, d) * f);
  if (i32x4.extract_lane(bad, 0) >= 0x7c00 || i32x4.extract_lane(bad, 1) >= 0x7c00 ||
      i32x4.extract_lane(bad, 2) >= 0x7c00 || i32x4.extract_lane(bad, 3) >= 0x7c00) {
    for (j = 0; j < n; j++) store<f32>(s + (<usize>j << 2), NaN);
  }
}

// ---- weighted sums of V rows ---------------------------------------------------------------------

// low and high four of eight i8 quants loaded as i16x8, as f32x4
// @ts-ignore: decorator
@inline function q8_lo(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q)); }
// @ts-ignore: decorator
@inline function q8_hi(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q)); }

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
      v128.store(o, fmadd(wv, q8_lo(q), v128.load(o)));
      v128.store(o, fmadd(wv, q8_hi(q), v128.load(o, 16)), 16);
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
      lo = fmadd(ws0, q8_lo(q0), lo);
      hi = fmadd(ws0, q8_hi(q0), hi);
      lo = fmadd(ws1, q8_lo(q1), lo);
      hi = fmadd(ws1, q8_hi(q1), hi);
      lo = fmadd(ws2, q8_lo(q2), lo);
      hi = fmadd(ws2, q8_hi(q2), hi);
      lo = fmadd(ws3, q8_lo(q3), lo);
      hi = fmadd(ws3, q8_hi(q3), hi);
      v128.store(o, lo);
      v128.store(o, hi, 16);
    }
    if (c < n) axpyTail4(po, c, n, ws, p0, p1, p2, p3);
    v += 2 + <usize>n;
  }
}

// out (8) += sum_j w[j] v_j for j in [0, n), d = 8: four rows per step, out held in registers
// @ts-ignore: decorator
@inline function weighted_sum_q8_0_d8(w: usize, v: usize, out: usize, n: i32): void {
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

// out (n_group, 8) += sum_j w[g, j] v_j for j in [0, n), d = 8, w rows srow bytes apart: each value
// row is widened once for the whole query group
export function weighted_sum_q8_0_d8_group(w: usize, srow: usize, v: usize, out: usize, n: i32, n_group: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = v + <usize>j * 10;
    const v0 = v128.load8x8_s(p + 2), v1 = v128.load8x8_s(p + 12), v2 = v128.load8x8_s(p + 22), v3 = v128.load8x8_s(p + 32);
    const l0 = q8_lo(v0), h0 = q8_hi(v0), l1 = q8_lo(v1), h1 = q8_hi(v1);
    const l2 = q8_lo(v2), h2 = q8_hi(v2), l3 = q8_lo(v3), h3 = q8_hi(v3);
    const sc = scales4_f16_row10(p);
    for (let g = 0; g < n_group; g++) {
      const ws = f32x4.mul(v128.load(w + <usize>g * srow + (<usize>j << 2)), sc);   // lane i: w_i * s_i
      madd8x4(out + (<usize>g << 5), ws, l0, h0, l1, h1, l2, h2, l3, h3);
    }
  }
  for (; j < n; j++) {
    for (let g = 0; g < n_group; g++) axpy_q8_0(load<f32>(w + <usize>g * srow + (<usize>j << 2)), v + <usize>j * 10, out + (<usize>g << 5), 8);
  }
}

// out (n_group, d) += sum_j w[g, j] v_j for j in [0, n), w rows srow bytes apart: four value rows
// a step, each 8 quants of them widened to f32 once for the whole query group, then multiply-added
// into each head's output with the weights times the block scales (axpy4_q8_0's arithmetic)
export function weighted_sum_q8_0_group(w: usize, srow: usize, v: usize, out: usize, n: i32, d: i32, n_group: i32): void {
  const row = kv_row_bytes(KV_Q8_0, d), hrow = <usize>d << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let vb = v + <usize>j * row;
    const wj = w + (<usize>j << 2);
    for (let c0 = 0; c0 < d; c0 += 32) {
      const nb = min(32, d - c0);
      const sc = scales4_f16(vb, row);
      const p0 = vb + 2, p1 = p0 + row, p2 = p1 + row, p3 = p2 + row, po = out + (<usize>c0 << 2);
      let c = 0;
      for (; c + 8 <= nb; c += 8) {
        const oc = <usize>c;
        const q0 = v128.load8x8_s(p0 + oc), q1 = v128.load8x8_s(p1 + oc), q2 = v128.load8x8_s(p2 + oc), q3 = v128.load8x8_s(p3 + oc);
        const l0 = q8_lo(q0), h0 = q8_hi(q0), l1 = q8_lo(q1), h1 = q8_hi(q1);
        const l2 = q8_lo(q2), h2 = q8_hi(q2), l3 = q8_lo(q3), h3 = q8_hi(q3);
        for (let g = 0; g < n_group; g++) {
          const ws = f32x4.mul(v128.load(wj + <usize>g * srow), sc);   // lane i: w_i * s_i
          madd8x4(po + <usize>g * hrow + (oc << 2), ws, l0, h0, l1, h1, l2, h2, l3, h3);
        }
      }
      if (c < nb) {
        for (let g = 0; g < n_group; g++) {
          const ws = f32x4.mul(v128.load(wj + <usize>g * srow), sc);
          axpyTail4(po + <usize>g * hrow, c, nb, ws, p0, p1, p2, p3);
        }
      }
      vb += 2 + <usize>nb;
    }
  }
  for (; j < n; j++) {
    for (let g = 0; g < n_group; g++) axpy_q8_0(load<f32>(w + <usize>g * srow + (<usize>j << 2)), v + <usize>j * row, out + <usize>g * hrow, d);
  }
}

// out (d) += sum_j w[j] v_j for j in [0, n)
// @ts-ignore: decorator
@inline export function weighted_sum_q8_0(w: usize, v: usize, out: usize, n: i32, d: i32): void {
  if (d == 8) { weighted_sum_q8_0_d8(w, v, out, n); return; }
  const row = kv_row_bytes(KV_Q8_0, d);
  let j = 0;
  for (; j + 4 <= n; j += 4) axpy4_q8_0(w + (<usize>j << 2), v + <usize>j * row, row, out, d);
  for (; j < n; j++) axpy_q8_0(load<f32>(w + (<usize>j << 2)), v + <usize>j * row, out, d);
}
