// silu_mul_f32: y[i] = silu(a[i]) * b[i] = a[i] * sigmoid(a[i]) * b[i]   (SwiGLU gate)
//   a, b, y (n); i in [i0, i1); y may alias a or b.
//   With e = exp(-|a|) (never overflows): silu(a) = a / (1 + e) for a >= 0 and a e / (1 + e)
//   for a < 0, so very negative a gives tiny values (down to subnormals), not a flush to 0.
//   a is first clamped to -FLT_MAX so a = -inf gives -FLT_MAX * 0 = -0 (its limit), not
//   -inf * 0. Large |a| never gives NaN; only a NaN input (or inf * 0 with b = 0) does.
import { exp_f32x4, expf_ } from "./mathx";

export function silu_mul_f32(a: usize, b: usize, y: usize, i0: i32, i1: i32): void {
  const lo = f32x4.splat(-F32.MAX_VALUE), one = f32x4.splat(1), zero = f32x4.splat(0);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const va = f32x4.max(v128.load(a + o), lo);
    const e = exp_f32x4(f32x4.neg(f32x4.abs(va)));
    const num = v128.bitselect(f32x4.mul(va, e), va, f32x4.lt(va, zero));
    v128.store(y + o, f32x4.mul(f32x4.div(num, f32x4.add(one, e)), v128.load(b + o)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const va = max<f32>(load<f32>(a + o), -F32.MAX_VALUE);
    const e = expf_(-abs<f32>(va));
    const num = va < 0 ? va * e : va;
    store<f32>(y + o, (num / (<f32>1 + e)) * load<f32>(b + o));
  }
}
