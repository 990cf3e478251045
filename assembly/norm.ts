// rmsnorm_f32: y[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w   for rows r in [r0, r1)
//   x, y (rows, dim) row-major; w (dim); y may alias x.
//   The sum of squares is accumulated in f32x4 lanes (fused in the relaxed build), then the
//   tail; each element is scaled as (x * s) * w, as llama2.c and Hugging Face do.
import { fmadd, hsum } from "./simd";

export function rmsnorm_f32(x: usize, w: usize, y: usize, dim: i32, eps: f32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = (<usize>r * <usize>dim) << 2;
    const xr = x + o, yr = y + o;
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= dim; c += 4) {
      const v = v128.load(xr + (<usize>c << 2));
      acc = fmadd(v, v, acc);
    }
    let ss = hsum(acc);
    for (; c < dim; c++) {
      const v = load<f32>(xr + (<usize>c << 2));
      ss += v * v;
    }
    const s: f32 = <f32>1 / sqrt<f32>(ss / <f32>dim + eps);
    const vs = f32x4.splat(s);
    c = 0;
    for (; c + 4 <= dim; c += 4) {
      const q = <usize>c << 2;
      v128.store(yr + q, f32x4.mul(f32x4.mul(v128.load(xr + q), vs), v128.load(w + q)));
    }
    for (; c < dim; c++) {
      const q = <usize>c << 2;
      store<f32>(yr + q, load<f32>(xr + q) * s * load<f32>(w + q));
    }
  }
}
