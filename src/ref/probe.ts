// Plain TypeScript references for assembly/probe.ts (benchmark probes).

// 12 chains x 4 lanes of c = c * b + a, n_iter steps from 0, summed. Each step rounds to f32
// once after the multiply and once after the add; with b a power of two the multiply is exact
// and the fused (relaxed) and unfused builds give this same value.
export function probe_peak_f32(n_iter: number, b: number, a: number): number {
  const bf = Math.fround(b), af = Math.fround(a);
  let c = 0;
  for (let i = 0; i < n_iter; i++) c = Math.fround(Math.fround(c * bf) + af);
  return Math.fround(48 * c);
}

// sum of a[i] for i in [0, n)
export function probe_sum_f32(a: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i];
  return s;
}
