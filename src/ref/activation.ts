// Plain TypeScript reference for assembly/activation.ts: the test oracle and the fallback.

// y[i] = a[i] * sigmoid(a[i]) * b[i] for i in [i0, i1), silu in float64 rounded once to f32,
// then times b in f32 as the kernel does. silu(-inf) = -0 (its limit).
export function silu_mul_f32(a: Float32Array, b: Float32Array, y: Float32Array, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) {
    const v = a[i];
    const s = v === -Infinity ? -0 : v / (1 + Math.exp(-v));
    y[i] = Math.fround(s) * b[i];
  }
}
