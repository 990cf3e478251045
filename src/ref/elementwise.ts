// Plain TypeScript references for assembly/elementwise.ts: the test oracle and the fallback.
// Arrays are the whole buffers; indices follow the kernel contract.

// y[i] = a[i] + b[i] for i in [i0, i1)
export function add_f32(a: Float32Array, b: Float32Array, y: Float32Array, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) y[i] = a[i] + b[i];
}

// y[i] = a[i] * s for i in [i0, i1)
export function scale_f32(a: Float32Array, s: number, y: Float32Array, i0: number, i1: number): void {
  const sf = Math.fround(s); // the kernel takes s as f32
  for (let i = i0; i < i1; i++) y[i] = a[i] * sf;
}

// y[i] = a[i] * s + y[i] for i in [i0, i1)
export function axpy_f32(a: Float32Array, s: number, y: Float32Array, i0: number, i1: number): void {
  const sf = Math.fround(s);
  for (let i = i0; i < i1; i++) y[i] = Math.fround(a[i] * sf) + y[i];
}

// y[r, i] += b[i] for rows r in [r0, r1)          y (rows, n), b (n)
export function add_rows_f32(y: Float32Array, b: Float32Array, n: number, r0: number, r1: number): void {
  for (let r = r0; r < r1; r++) for (let i = 0; i < n; i++) y[r * n + i] += b[i];
}

// y[r*yStride + i] += x[r*xStride + i] for rows r < rows, i < n
export function add_strided_f32(y: Float32Array, yStride: number, x: Float32Array, xStride: number, n: number, rows: number): void {
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) y[r * yStride + i] += x[r * xStride + i];
}
