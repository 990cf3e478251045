// Activation rows quantized once per matmul, for the integer dot products of qmatmul.ts
// (gemv_<t>_q8_0), as llama.cpp's CPU backend quantizes src1 to the weight type's vec_dot_type.
//   quantize_rows_q8_0(X, Xq, n_in, m)   row i of X (m, n_in) f32 -> Q8A row i at Xq + i * q8aRowBytes(n_in)
//   quantize_rows_q8_k(X, Xq, n_in, m)   row i of X (m, n_in) f32 -> Q8KA row i at Xq + i * q8kaRowBytes(n_in)
// Q8A row (n_in a multiple of 32, nb = n_in / 32 blocks of 32 values):
//   d  f32[nb]  at byte 0        block scales, each the f32 value of an f16 (as block_q8_0's d)
//   qs i8[n_in] at byte 4 * nb   quants
// Per block, as ggml's x86 quantize_row_q8_0: amax = max |x|, d = f16(amax / 127),
// q = round_half_even(x * (127 / amax)) (q = 0 when amax = 0), so |q| <= 127.
// NaN in a block makes its amax and d NaN (f32x4.max propagates NaN), so every dot product with
// the block is NaN; an infinity makes d infinite and the dot NaN or infinite.
// Q8KA row (n_in a multiple of 256, nb = n_in / 256 blocks of 256 values), for the k-quants:
//   d   f32[nb]        at byte 0             block scales
//   s32 i32[n_in / 32] at byte 4 * nb        sums of each 32 quants (ggml's bsums, pairwise)
//   qs  i8[n_in]       at byte 4 * nb + n_in / 8
// Per block, as ggml's quantize_row_q8_K_ref: max = the first x of largest |x|, iscale = -127 / max,
// q = min(127, round_half_even(iscale * x)), d = 1 / iscale (d = 0, q = 0 when max = 0).
// Where ggml skips NaN (fabsf(NaN) > amax is false), here NaN in a block makes d NaN.
// X and Xq must not overlap.

// bytes of one Q8A row of n_in values
// @ts-ignore: decorator
@inline export function q8aRowBytes(n_in: i32): usize { return <usize>n_in + (<usize>(n_in >> 5) << 2); }

// bytes of one Q8KA row of n_in values
// @ts-ignore: decorator
@inline export function q8kaRowBytes(n_in: i32): usize { return <usize>n_in + (<usize>(n_in >> 8) << 2) + (<usize>(n_in >> 5) << 2); }

// the f32 value of the f16 nearest to a (a >= 0 or NaN), round half to even, overflow to inf
// @ts-ignore: decorator
@inline export function round_f16(a: f32): f32 {
  if (a != a) return a;
  if (a >= 65520) return Infinity;
  if (a < 6.103515625e-5) return (a + 0.5) - 0.5; // f16 subnormals: multiples of 2^-24 = ulp(0.5)
  const b = reinterpret<u32>(a);
  return reinterpret<f32>((b + 0xfff + ((b >> 13) & 1)) & 0xffffe000); // 10 mantissa bits, ties to even
}

// 16 f32 at p times id, rounded half to even, as i8x16 (saturated to [-128, 127]; callers keep
// the products within [-127.x, 127.x])
// @ts-ignore: decorator
@inline function q16(p: usize, id: v128): v128 {
  const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(id, v128.load(p))));
  const b = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(id, v128.load(p, 16))));
  const c = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(id, v128.load(p, 32))));
  const d = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(id, v128.load(p, 48))));
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d));
}

// max |x| over n (a multiple of 8) f32 at p; NaN if any is NaN
// @ts-ignore: decorator
@inline function absmax(p: usize, n: i32): f32 {
  let mx = f32x4.max(f32x4.abs(v128.load(p)), f32x4.abs(v128.load(p, 16)));
  for (let k = 32; k < n << 2; k += 32) mx = f32x4.max(mx, f32x4.max(f32x4.abs(v128.load(p + k)), f32x4.abs(v128.load(p + k, 16))));
  mx = f32x4.max(mx, i32x4.shuffle(mx, mx, 2, 3, 0, 1));
  return max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1));
}

export function quantize_rows_q8_0(X: usize, Xq: usize, n_in: i32, m: i32): void {
  const nb = n_in >> 5, rb = q8aRowBytes(n_in);
  for (let i = 0; i < m; i++) {
    let px = X + <usize>i * (<usize>n_in << 2), pd = Xq + <usize>i * rb, pq = pd + (<usize>nb << 2);
    for (let b = 0; b < nb; b++) {
      const amax = absmax(px, 32);
      const id = f32x4.splat(amax != 0 ? <f32>127 / amax : 0);
      store<f32>(pd, round_f16(amax / 127));
      v128.store(pq, q16(px, id));
      v128.store(pq, q16(px + 64, id), 16);
      px += 128; pd += 4; pq += 32;
    }
  }
}

export function quantize_rows_q8_k(X: usize, Xq: usize, n_in: i32, m: i32): void {
  const nb = n_in >> 8, rb = q8kaRowBytes(n_in);
  for (let i = 0; i < m; i++) {
    let px = X + <usize>i * (<usize>n_in << 2), pd = Xq + <usize>i * rb;
    let ps = pd + (<usize>nb << 2), pq = ps + (<usize>(n_in >> 5) << 2);
    for (let b = 0; b < nb; b++) {
      const amax = absmax(px, 256);
      if (amax == 0) {
        store<f32>(pd, 0);
        for (let k = 0; k < 256; k += 16) v128.store(pq + k, i8x16.splat(0));
        for (let k = 0; k < 32; k += 4) store<i32>(ps + k, 0);
      } else {
        let mx: f32 = amax; // NaN stays NaN
        if (amax == amax) { // the first x with |x| = amax keeps its sign, as ggml's strict > scan
          let j = 0;
          while (abs(load<f32>(px + (<usize>j << 2))) != amax) j++;
          mx = load<f32>(px + (<usize>j << 2));
        }
        const iscale: f32 = <f32>-127 / mx;
        const id = f32x4.splat(iscale), cap = i8x16.splat(127);
        for (let k = 0; k < 8; k++) {
          const q0 = i8x16.min_s(q16(px + (<usize>k << 7), id), cap), q1 = i8x16.min_s(q16(px + (<usize>k << 7) + 64, id), cap);
          v128.store(pq + (<usize>k << 5), q0);
          v128.store(pq + (<usize>k << 5), q1, 16);
          // sum of the 32 quants: widen pairwise twice, then across lanes
          const s = i32x4.add(i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(q0)), i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(q1)));
          const s2 = i32x4.add(s, i32x4.shuffle(s, s, 2, 3, 0, 1));
          store<i32>(ps + (<usize>k << 2), i32x4.extract_lane(s2, 0) + i32x4.extract_lane(s2, 1));
        }
        store<f32>(pd, <f32>1 / iscale);
      }
      px += 1024; pd += 4; ps += 32; pq += 256;
    }
  }
}
