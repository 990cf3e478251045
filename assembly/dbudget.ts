// Budget-free cuts of one layer's ranked candidate positions (see docs: DBudgetKV and nucleus).
// Both take `order` (n_order) i32: candidate positions in rank order (the caller builds it; for
// DBudgetKV newest first with the sinks left out) and return how many of them to keep, j in
// [0, n_order]: the kept set is order[0..j). Sums are in f64, in a fixed order, so the plain
// TypeScript reference returns the same j bit for bit.
//
// dbudget_cut_f32  attn (n_heads, n): each query head's softmax row of the last prompt token;
//     scratch (n_order) f64. kept_j = mean over heads h of sqrt(sum_{t<j} attn[h, order[t]]^2),
//     base = kept_{n_order}, drop_j = (base - kept_j) / base. Returns the smallest j in
//     [1, n_order] with drop_j <= tol. Special cases, in this order:
//       n_order = 0 -> 0;  tol <= 0 or NaN -> n_order (keep everything);
//       base NaN or infinite (a NaN/inf among the candidates' weights) -> n_order;
//       base = 0 (every candidate weight is 0) -> 0.
// nucleus_cut_f32  s (n) >= 0: per-position attention mass. total = sum of s over all n positions
//     (sinks included); evicted_j = sum_{t>=j} s[order[t]]. Returns the smallest j in [0, n_order]
//     with evicted_j / total <= tol, found by walking up the evicted mass from the end of order.
//     Special cases, in this order: n_order = 0 -> 0; tol <= 0 or NaN -> n_order;
//     total NaN or infinite -> n_order; total <= 0 -> 0.

export function dbudget_cut_f32(attn: usize, n_heads: i32, n: i32, order: usize, n_order: i32,
                                tol: f64, scratch: usize): i32 {
  if (n_order <= 0) return 0;
  if (!(tol > 0)) return n_order;
  // kept[t] (scratch) = sum over heads of sqrt(sum of squares of the first t + 1 candidates);
  // heads outer, so the square roots of one head are independent and pipeline
  memory.fill(scratch, 0, <usize>n_order << 3);
  const row = <usize>n << 2;
  for (let h = 0; h < n_heads; h++) {
    const a = attn + <usize>h * row;
    let ss: f64 = 0;
    for (let t = 0; t < n_order; t++) {
      const v = <f64>load<f32>(a + (<usize>load<i32>(order + (<usize>t << 2)) << 2));
      ss += v * v;
      const c = scratch + (<usize>t << 3);
      store<f64>(c, load<f64>(c) + Math.sqrt(ss));
    }
  }
  const nh = <f64>n_heads;
  const base = load<f64>(scratch + (<usize>(n_order - 1) << 3)) / nh;
  if (!isFinite(base)) return n_order;
  if (base == 0) return 0;
  for (let t = 0; t < n_order; t++) {
    const kept = load<f64>(scratch + (<usize>t << 3)) / nh;
    if ((base - kept) / base <= tol) return t + 1;
  }
  return n_order;
}

export function nucleus_cut_f32(s: usize, n: i32, order: usize, n_order: i32, tol: f64): i32 {
  if (n_order <= 0) return 0;
  if (!(tol > 0)) return n_order;
  let total: f64 = 0;
  for (let i = 0; i < n; i++) total += <f64>load<f32>(s + (<usize>i << 2));
  if (!isFinite(total)) return n_order;
  if (total <= 0) return 0;
  let evicted: f64 = 0;
  let j = n_order;
  while (j > 0) {
    const e = evicted + <f64>load<f32>(s + (<usize>load<i32>(order + (<usize>(j - 1) << 2)) << 2));
    if (e / total > tol) break;
    evicted = e;
    j--;
  }
  return j;
}
