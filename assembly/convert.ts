// Half-precision to f32 conversions, exact for every input:
//   f16_to_f32:  dst[i] = IEEE binary16 src[i] as f32 (subnormals, +-0, +-inf; NaN keeps its
//                sign and payload, shifted into the top of the f32 mantissa)
//   bf16_to_f32: dst[i] = bfloat16 src[i] as f32 (its bits are the top half of an f32)
//   src (n) u16 bit patterns; dst (n) f32; i in [i0, i1).
//   Aliasing: src and dst do not overlap, or src = dst + 2n bytes with i0 = 0 (the halves in the
//   upper half of dst, converted in place at load): i runs upwards and each group of 8 is loaded
//   before it is stored, so a store (bytes < 4i + 32 <= 2n + 2i + 16) never reaches an unread half.

import { f16x4_to_f32x4 } from "./simd";

// 2^112 rebiases a half's exponent (bias 15) to f32's (bias 127)
const REBIAS: f32 = reinterpret<f32>(0x77800000);

// @ts-ignore: decorator
@inline function f16_to_f32_one(h: u32): f32 {
  const em = h & 0x7fff;
  const sign = (h & 0x8000) << 16;
  const shifted = em << 13;
  const bits = em >= 0x7c00 ? shifted | 0x7f800000 : reinterpret<u32>(reinterpret<f32>(shifted) * REBIAS);
  return reinterpret<f32>(bits | sign);
}

export function f16_to_f32(src: usize, dst: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 8 <= i1; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    const o = dst + (<usize>i << 2);
    v128.store(o, f16x4_to_f32x4(i32x4.extend_low_i16x8_u(h)));
    v128.store(o + 16, f16x4_to_f32x4(i32x4.extend_high_i16x8_u(h)));
  }
  for (; i < i1; i++) {
    store<f32>(dst + (<usize>i << 2), f16_to_f32_one(<u32>load<u16>(src + (<usize>i << 1))));
  }
}

export function bf16_to_f32(src: usize, dst: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 8 <= i1; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    const o = dst + (<usize>i << 2);
    v128.store(o, i32x4.shl(i32x4.extend_low_i16x8_u(h), 16));
    v128.store(o + 16, i32x4.shl(i32x4.extend_high_i16x8_u(h), 16));
  }
  for (; i < i1; i++) {
    store<u32>(dst + (<usize>i << 2), <u32>load<u16>(src + (<usize>i << 1)) << 16);
  }
}
