// Plain TypeScript references for assembly/matmul.ts: the test oracle and the fallback.
// Arrays are the whole buffers; indices follow the kernel contract. Sums run in f64 (JS
// numbers) and round once on store, so the reference is at least as accurate as the kernels.

// y[r] = sum_i W[r, i] * x[i] for r in [r0, r1)        W (n_out, n_in) row-major, x (n_in), y (n_out)
export function gemv_f32(W: Float32Array, x: Float32Array, y: Float32Array, n_in: number, r0: number, r1: number): void {
  for (let r = r0; r < r1; r++) {
    let s = 0;
    const o = r * n_in;
    for (let i = 0; i < n_in; i++) s += W[o + i] * x[i];
    y[r] = s;
  }
}

// Y[i, j] = sum_k X[i, k] * W[j, k] for i in [0, m), j in [n0, n1)
//   X (m, n_in), W (n_out, n_in), Y (m, n_out), all row-major
export function gemm_f32(
  X: Float32Array, W: Float32Array, Y: Float32Array,
  m: number, n_in: number, n_out: number, n0: number, n1: number,
): void {
  for (let i = 0; i < m; i++) {
    const xo = i * n_in;
    for (let j = n0; j < n1; j++) {
      let s = 0;
      const wo = j * n_in;
      for (let k = 0; k < n_in; k++) s += X[xo + k] * W[wo + k];
      Y[i * n_out + j] = s;
    }
  }
}
