// Plain TypeScript references for assembly/dbudget.ts, written as the rules read: every prefix's
// value first, then the smallest prefix that passes. f64 sums in the kernel's order, so the
// kernel returns the same cut.

// attn (n_heads, n), order (n_order) -> smallest j in [1, n_order] with drop_j <= tol (see the kernel)
export function dbudget_cut_f32(attn: Float32Array, n_heads: number, n: number, order: Int32Array, n_order: number,
                                tol: number): number {
  if (n_order <= 0) return 0;
  if (!(tol > 0)) return n_order;
  const kept = new Float64Array(n_order + 1); // kept[j] over the first j candidates
  for (let h = 0; h < n_heads; h++) {
    let ss = 0;
    for (let t = 0; t < n_order; t++) {
      const a = attn[h * n + order[t]];
      ss += a * a;
      kept[t + 1] += Math.sqrt(ss);
    }
  }
  for (let j = 1; j <= n_order; j++) kept[j] /= n_heads;
  const base = kept[n_order];
  if (!Number.isFinite(base)) return n_order;
  if (base === 0) return 0;
  for (let j = 1; j <= n_order; j++) if ((base - kept[j]) / base <= tol) return j;
  return n_order;
}

// s (n) >= 0, order (n_order) -> smallest j in [0, n_order] with evicted mass / total <= tol
export function nucleus_cut_f32(s: Float32Array, n: number, order: Int32Array, n_order: number, tol: number): number {
  if (n_order <= 0) return 0;
  if (!(tol > 0)) return n_order;
  let total = 0;
  for (let i = 0; i < n; i++) total += s[i];
  if (!Number.isFinite(total)) return n_order;
  if (total <= 0) return 0;
  const evicted = new Float64Array(n_order + 1); // evicted[j] = mass of order[j..n_order)
  for (let j = n_order - 1; j >= 0; j--) evicted[j] = evicted[j + 1] + s[order[j]];
  for (let j = 0; j <= n_order; j++) if (evicted[j] / total <= tol) return j;
  return n_order;
}
