// Plain TypeScript reference for assembly/softmax.ts: the test oracle and the fallback.
// Computes in float64 (Math.exp) and rounds each output to f32 once.

// y[r] = softmax(x[r] + mask[r]) for rows r in [r0, r1) of x, y, mask (rows, n) row-major;
// mask null for none; causalOffset >= 0 keeps only columns c <= r + causalOffset (the others
// are not read and give 0). All -inf rows give zeros; NaN in a live column gives NaN.
export function softmax_rows_f32(
  x: Float32Array, y: Float32Array, n: number, r0: number, r1: number,
  mask: Float32Array | null, causalOffset: number,
): void {
  const v = new Float64Array(n);
  for (let r = r0; r < r1; r++) {
    const o = r * n;
    const m = causalOffset >= 0 ? Math.min(n, r + causalOffset + 1) : n;
    let mx = -Infinity;
    for (let c = 0; c < m; c++) {
      // the kernel adds the mask in f32
      v[c] = mask ? Math.fround(x[o + c] + mask[o + c]) : x[o + c];
      mx = Math.max(mx, v[c]);
    }
    if (mx === -Infinity) {
      y.fill(0, o, o + n);
      continue;
    }
    let sum = 0;
    for (let c = 0; c < m; c++) sum += (v[c] = Math.exp(v[c] - mx));
    for (let c = 0; c < m; c++) y[o + c] = v[c] / sum;
    y.fill(0, o + m, o + n);
  }
}
