// Shared SIMD helpers for every kernel family. The relaxed build (compiled with
// --enable relaxed-simd) fuses multiply-add; the plain SIMD128 build multiplies then adds.
// ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so each build holds one path only.

// fmadd(a, b, c) = a * b + c, lane-wise over f32x4
// @ts-ignore: decorator
@inline export function fmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// hsum(v) = v[0] + v[1] + v[2] + v[3]
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

// hmax(v) = max of the four lanes
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const s = f32x4.max(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}

// four IEEE halves (as u32 lanes) -> four f32, exact (subnormals, inf, NaN payloads)
// @ts-ignore: decorator
@inline export function f16x4_to_f32x4(h: v128): v128 {
  const em = v128.and(h, i32x4.splat(0x7fff));
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const shifted = i32x4.shl(em, 13);
  // finite halves: the shifted bits read as an f32 with bias 15, times 2^112 (exact,
  // subnormal halves included since wasm keeps f32 subnormals)
  const finite = f32x4.mul(shifted, f32x4.splat(reinterpret<f32>(0x77800000)));
  // inf and NaN: exponent all ones, mantissa kept
  const special = v128.or(shifted, i32x4.splat(0x7f800000));
  const isSpecial = i32x4.ge_s(em, i32x4.splat(0x7c00));
  return v128.or(v128.bitselect(special, finite, isSpecial), sign);
}

