// Element-wise kernels over f32 vectors. Pointers are byte offsets into linear memory;
// every kernel takes an element range [i0, i1) so callers can split work across workers.
// Outputs may alias inputs.
import { fmadd } from "./simd";

// add_f32: y[i] = a[i] + b[i]                      a, b, y (n); i in [i0, i1)
export function add_f32(a: usize, b: usize, y: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

// scale_f32: y[i] = a[i] * s                       a, y (n); i in [i0, i1)
export function scale_f32(a: usize, s: f32, y: usize, i0: i32, i1: i32): void {
  const vs = f32x4.splat(s);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(a + o), vs));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) * s);
  }
}

// axpy_f32: y[i] = a[i] * s + y[i]                 a, y (n); i in [i0, i1)
export function axpy_f32(a: usize, s: f32, y: usize, i0: i32, i1: i32): void {
  const vs = f32x4.splat(s);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, fmadd(v128.load(a + o), vs, v128.load(y + o)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) * s + load<f32>(y + o));
  }
}

// add_rows_f32: y[r, i] += b[i]                    y (rows, n), b (n); rows r in [r0, r1)
export function add_rows_f32(y: usize, b: usize, n: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) add_f32(y + (<usize>r * <usize>n << 2), b, y + (<usize>r * <usize>n << 2), 0, n);
}

// add_strided_f32: y[r*y_stride + i] += x[r*x_stride + i]    rows r in [0, rows), i in [0, n)
export function add_strided_f32(y: usize, y_stride: i32, x: usize, x_stride: i32, n: i32, rows: i32): void {
  for (let r = 0; r < rows; r++) {
    const yr = y + ((<usize>r * <usize>y_stride) << 2), xr = x + ((<usize>r * <usize>x_stride) << 2);
    add_f32(yr, xr, yr, 0, n);
  }
}
