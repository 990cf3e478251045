// silu_mul_f32: y[i] = silu(a[i]) * b[i] = a[i] * sigmoid(a[i]) * b[i]   (SwiGLU gate)
//   a, b, y (n); i in [i0, i1); y may alias a or b.
//   silu(a) = a / (1 + exp(-a)), one rounding for the quotient. a = -inf gives silu = -0 (its
//   limit), not -inf / inf: a is first clamped to -FLT_MAX, whose exp(-a) is +inf. Large |a|
//   never gives NaN; only a NaN input (or inf * 0 with b = 0) does.
import { exp_f32x4, expf_ } from "./mathx";

export function silu_mul_f32(a: usize, b: usize, y: usize, i0: i32, i1: i32): void {
  const lo = f32x4.splat(-F32.MAX_VALUE), one = f32x4.splat(1);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const va = f32x4.max(v128.load(a + o), lo);
    const e = exp_f32x4(f32x4.neg(va));
    v128.store(y + o, f32x4.mul(f32x4.div(va, f32x4.add(one, e)), v128.load(b + o)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const va = max<f32>(load<f32>(a + o), -F32.MAX_VALUE);
    const e = expf_(-va);
    store<f32>(y + o, (va / (<f32>1 + e)) * load<f32>(b + o));
  }
}
