// Plain TypeScript reference for assembly/norm.ts: the test oracle and the fallback.

// y[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w for rows r in [r0, r1) of x, y (rows, dim), w (dim).
// The sum of squares is float64; the scale is rounded to f32 as the kernel's is, then each
// element is (x * s) * w in f32.
export function rmsnorm_f32(
  x: Float32Array, w: Float32Array, y: Float32Array, dim: number, eps: number, r0: number, r1: number,
): void {
  const f = Math.fround;
  for (let r = r0; r < r1; r++) {
    const o = r * dim;
    let ss = 0;
    for (let c = 0; c < dim; c++) ss += x[o + c] * x[o + c];
    const s = f(1 / Math.sqrt(ss / dim + f(eps)));
    for (let c = 0; c < dim; c++) y[o + c] = f(x[o + c] * s) * w[c];
  }
}
