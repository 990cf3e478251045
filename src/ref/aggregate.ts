// Plain TypeScript references for assembly/aggregate.ts: the test oracle and the fallback.
// Arrays are whole buffers indexed from the kernel's pointers.

// out (n_group, n_kv) = sum (mode 0) or mean (mode 1) over the window queries of their causal
// softmax rows; qw (w, q_stride) with the group at 0; w clamped to n_kv.
export function attn_window_scores_f32(qw: Float32Array, k: Float32Array, out: Float32Array, w: number, n_kv: number,
                                       head_dim: number, n_group: number, q_stride: number, scale: number, mode: number): void {
  const we = Math.min(Math.max(w, 0), n_kv);
  const sf = Math.fround(scale);
  const row = new Float64Array(n_kv);
  for (let g = 0; g < n_group; g++) {
    const acc = new Float64Array(n_kv);
    for (let j = 0; j < we; j++) {
      const qo = j * q_stride + g * head_dim;
      const n = n_kv - we + j + 1;
      let m = -Infinity;
      for (let t = 0; t < n; t++) {
        let dot = 0;
        for (let c = 0; c < head_dim; c++) dot += qw[qo + c] * k[t * head_dim + c];
        row[t] = dot * sf;
        m = Math.max(m, row[t]);
      }
      let sum = 0;
      for (let t = 0; t < n; t++) { row[t] = Math.exp(row[t] - m); sum += row[t]; }
      for (let t = 0; t < n; t++) acc[t] += row[t] / sum;
    }
    for (let t = 0; t < n_kv; t++) out[g * n_kv + t] = mode === 1 && we > 0 ? acc[t] / we : acc[t];
  }
}

// x, y (rows, n): max (mode 0) or average (mode 1) over the in-range part of an odd window,
// summed in f32 from left to right as the kernel does, so results agree exactly
export function pool1d_f32(x: Float32Array, y: Float32Array, n: number, kernel: number, mode: number, r0: number, r1: number): void {
  const rad = kernel >> 1;
  for (let r = r0; r < r1; r++) {
    for (let i = 0; i < n; i++) {
      const lo = Math.max(0, i - rad), hi = Math.min(n - 1, i + rad);
      let acc = x[r * n + lo];
      for (let t = lo + 1; t <= hi; t++) acc = mode === 0 ? Math.max(acc, x[r * n + t]) : Math.fround(acc + x[r * n + t]);
      y[r * n + i] = mode === 0 ? acc : acc / (hi - lo + 1);
    }
  }
}

// Whether position a ranks before b: larger value first, NaN last, ties by position.
export function ranksBefore(x: ArrayLike<number>, a: number, b: number, preferNewer: boolean): boolean {
  const xa = x[a], xb = x[b];
  const na = Number.isNaN(xa), nb = Number.isNaN(xb);
  if (na !== nb) return nb;
  if (!na && xa !== xb) return xa > xb;
  return preferNewer ? a > b : a < b;
}

// idx_out[0 .. min(k, n)) <- positions of the k largest x, best first
export function topk_f32(x: Float32Array, n: number, k: number, idx_out: Int32Array, prefer_newer: number): void {
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (ranksBefore(x, a, b, prefer_newer !== 0) ? -1 : 1));
  const kk = Math.min(Math.max(k, 0), n);
  for (let i = 0; i < kk; i++) idx_out[i] = order[i];
}
