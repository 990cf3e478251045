// Benchmark probes: what this CPU gives a WASM SIMD kernel at best, to put the real kernels'
// figures in proportion. Bench-only; nothing in the library calls them.
//   probe_peak_f32: register-only multiply-add throughput (no memory traffic)
//   probe_sum_f32:  streaming read bandwidth, a (n) -> sum
import { fmadd, hsum } from "./simd";

// probe_peak_f32: 12 independent chains c = c * b + a, n_iter steps each, over f32x4
// (8 flops per step and chain: n_iter * 96 flops). Returns the sum of all lanes of all chains.
// Every chain starts at 0 and tends to a / (1 - b); with b = 0.5, a = 1 it stays finite.
export function probe_peak_f32(n_iter: i32, b: f32, a: f32): f32 {
  const vb = f32x4.splat(b), va = f32x4.splat(a);
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  let c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  for (let i = 0; i < n_iter; i++) {
    c0 = fmadd(c0, vb, va); c1 = fmadd(c1, vb, va); c2 = fmadd(c2, vb, va);
    c3 = fmadd(c3, vb, va); c4 = fmadd(c4, vb, va); c5 = fmadd(c5, vb, va);
    c6 = fmadd(c6, vb, va); c7 = fmadd(c7, vb, va); c8 = fmadd(c8, vb, va);
    c9 = fmadd(c9, vb, va); c10 = fmadd(c10, vb, va); c11 = fmadd(c11, vb, va);
  }
  const s0 = f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3));
  const s1 = f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7));
  const s2 = f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11));
  return hsum(f32x4.add(f32x4.add(s0, s1), s2));
}

// probe_sum_f32: sum of a[i] for i in [0, n), every element read once. The array is read as
// four streams at once (its four quarters), 32 bytes a stream per step, 8 accumulators: the
// access pattern of gemv's row groups, so its figure is the read bandwidth gemv can hope for.
export function probe_sum_f32(a: usize, n: i32): f32 {
  const q = (n >> 2) & ~7; // floats per stream, a multiple of 8
  const qb = <usize>q << 2;
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  let p = a;
  const end = a + qb;
  for (; p < end; p += 32) {
    s0 = f32x4.add(s0, v128.load(p));
    s1 = f32x4.add(s1, v128.load(p, 16));
    s2 = f32x4.add(s2, v128.load(p + qb));
    s3 = f32x4.add(s3, v128.load(p + qb, 16));
    s4 = f32x4.add(s4, v128.load(p + 2 * qb));
    s5 = f32x4.add(s5, v128.load(p + 2 * qb, 16));
    s6 = f32x4.add(s6, v128.load(p + 3 * qb));
    s7 = f32x4.add(s7, v128.load(p + 3 * qb, 16));
  }
  const s03 = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
  const s47 = f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7));
  let s = hsum(f32x4.add(s03, s47));
  for (let i = 4 * q; i < n; i++) s += load<f32>(a + (<usize>i << 2));
  return s;
}
