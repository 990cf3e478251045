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
