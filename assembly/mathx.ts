// Vectorized elementary functions for the kernels. exp_f32x4 (four lanes) and expf_ (one
// value) run the same operations in the same order, so a scalar tail agrees bit for bit with
// a SIMD lane. Both use plain multiply and add, never the relaxed fused multiply-add, so the
// result is the same in every build and on every host.
//
// exp(x) = 2^n * e^r with n = round(x / ln 2) and r = x - n ln 2 in [-ln2/2, ln2/2]
// (Cody-Waite: ln 2 split in a high part with 9 significant bits, so n * LN2_HI is exact,
// and a low part). e^r = 1 + r + r^2 p(r) with Cephes' degree-5 minimax p (expf.c).
// Max error against float64 exp, measured over 16M random inputs in [-104, 89]: 0.99 ulp
// for normal results, 0.75 of the smallest subnormal below them.
// 2^n is applied as 2^(n >> 1) * 2^(n - (n >> 1)), two normal powers of two, so results that
// are subnormal round once and gradually to 0 (exp(x) = 0 for x < -103.98), and results
// near the top of the range reach +inf without overflowing the exponent field.
// Specials: exp(-inf) = 0, exp(+inf) = +inf, exp(NaN) = NaN (a NaN lane's n is garbage, but
// NaN times any power of two is NaN).

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// inputs are clamped to [X_MIN, X_MAX]: below X_MIN exp rounds to 0, above X_MAX it is +inf
const X_MIN: f32 = -104.0;
const X_MAX: f32 = 89.0;
// 1.5 * 2^23: for |z| < 2^22, z + ROUNDER rounds z to an integer n held in the low bits
const ROUNDER: f32 = 12582912.0;
const ROUNDER_BITS: i32 = 0x4b400000;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

// e^r for r = x - fn ln 2 (fn = round(x / ln 2) as a float): the reduction and polynomial that
// exp_f32x4 and expneg_f32x4 share
// @ts-ignore: decorator
@inline function expReduced(x: v128, fn: v128): v128 {
  let r = f32x4.sub(x, f32x4.mul(fn, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fn, f32x4.splat(LN2_LO)));
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(f32x4.splat(P0), r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  return f32x4.add(f32x4.add(f32x4.mul(p, z), r), f32x4.splat(1.0));
}

// one value: the same operations as one lane of expReduced
// @ts-ignore: decorator
@inline function expReducedf(x: f32, fn: f32): f32 {
  let r = x - fn * LN2_HI;
  r = r - fn * LN2_LO;
  const z = r * r;
  let p = P0 * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  return (p * z + r) + <f32>1.0;
}

// exp of each lane (see the header for accuracy and specials)
// @ts-ignore: decorator
@inline export function exp_f32x4(v: v128): v128 {
  // pmin/pmax with v first keep a NaN lane NaN (each is one instruction, unlike min/max)
  const x = f32x4.pmax(f32x4.pmin(v, f32x4.splat(X_MAX)), f32x4.splat(X_MIN));
  // n = round-to-nearest-even(x / ln 2): adding 1.5 * 2^23 leaves n in the low mantissa bits
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUNDER));
  const y = expReduced(x, f32x4.sub(t, f32x4.splat(ROUNDER)));
  // n in [-150, 128]; each half in [-75, 64] is a normal power of two
  const n = i32x4.sub(t, i32x4.splat(ROUNDER_BITS));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}

// exp of one value: the same operations as one lane of exp_f32x4
// @ts-ignore: decorator
@inline export function expf_(v: f32): f32 {
  const xc = X_MAX < v ? X_MAX : v;
  const x = xc < X_MIN ? X_MIN : xc;
  const t = x * LOG2E + ROUNDER;
  const y = expReducedf(x, t - ROUNDER);
  const n = reinterpret<i32>(t) - ROUNDER_BITS;
  const n1 = n >> 1;
  const n2 = n - n1;
  const s1 = reinterpret<f32>((n1 + 127) << 23);
  const s2 = reinterpret<f32>((n2 + 127) << 23);
  return (y * s1) * s2;
}

// ---- exp of non-positive arguments (softmax: x - max <= 0) --------------------------------
// expneg_f32x4 / expnegf_: exp(x) for x <= 0, -inf or NaN, with the same reduction and
// polynomial as exp_f32x4, but: no clamping (x <= 0 cannot overflow), 2^n made in one shift
// (n in [-126, 0] is a normal power of two: the rounding constant carries the exponent bias, so
// t's low bits are already n + 127), and arguments below EXPNEG_CUT give exactly 0 (their exp
// is under 1.0e-38; exp_f32x4 rounds them to subnormals). For -87.5 <= x <= 0 the result is
// exp_f32x4's bit for bit except when x / ln 2 rounds from an exact tie (the biased constant
// is odd, so ties go the other way): both are then within 1 ulp. About 24 operations a vector
// against exp_f32x4's 32. exp(-inf) = 0, exp(NaN) = NaN (a NaN is not below the cut, and NaN
// times anything is NaN). Positive arguments are not supported (the result is wrong).
const EXPNEG_CUT: f32 = -87.5;           // n = round(x / ln 2) >= -126 from here up
const ROUNDER_BIASED: f32 = 12583039.0;  // 1.5 * 2^23 + 127

// @ts-ignore: decorator
@inline export function expneg_f32x4(x: v128): v128 {
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUNDER_BIASED));
  const y = expReduced(x, f32x4.sub(t, f32x4.splat(ROUNDER_BIASED)));
  // t's mantissa holds 2^22 + n + 127; shifted by 23, only n + 127 stays, in the exponent field
  const e = f32x4.mul(y, i32x4.shl(t, 23));
  return v128.andnot(e, f32x4.lt(x, f32x4.splat(EXPNEG_CUT)));
}

// one value: the same operations as one lane of expneg_f32x4
// @ts-ignore: decorator
@inline export function expnegf_(x: f32): f32 {
  const t = x * LOG2E + ROUNDER_BIASED;
  const y = expReducedf(x, t - ROUNDER_BIASED);
  const e = y * reinterpret<f32>(reinterpret<i32>(t) << 23);
  return x < EXPNEG_CUT ? 0 : e;
}
