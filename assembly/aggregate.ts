// Attention aggregation and selection: the building blocks of H2O, SnapKV, TOVA and nucleus.
//
// attn_window_scores_f32  qw (w, q_stride) with this KV head's group (n_group, head_dim) at the
//     pointer, K (>= n_kv, head_dim) -> out (n_group, n_kv), scores (n_kv) scratch (the same
//     scores row and softmax as attn_prefill_f32): per query head, the sum (mode 0) or
//     mean (mode 1) over the window queries of their causal softmax rows. Window query j sits at
//     cache row n_kv - w + j and sees key rows [0, n_kv - w + j]; later rows get weight 0.
//     w is clamped to n_kv: a window longer than the sequence means every row is a window row,
//     and qw then holds n_kv rows. w = 0 (or n_kv = 0) gives out = 0.
// pool1d_f32  x, y (rows, n): 1-D pooling along each row with an odd kernel, same-size output,
//     'same' padding that leaves out-of-range elements out (the average divides by the count in
//     range); mode 0 = max, 1 = average; kernel 1 copies. Rows r in [r0, r1); y must not alias x.
// topk_f32  x (n) -> idx_out (min(k, n)) i32: indices of the k largest values in descending
//     order; ties by position, lower index first (prefer_newer = 0) or higher first (1); NaN ranks
//     below every number (-inf included). k = 0 writes nothing. O(n log k), deterministic: a heap
//     of indices kept in idx_out itself, then heap-sorted in place.
import { attn_scores_row } from "./attention";
import { add_f32, scale_f32 } from "./elementwise";
import { softmax_row } from "./softmax";

// ---- attention of the observation window --------------------------------------------------

export function attn_window_scores_f32(qw: usize, k: usize, out: usize, scores: usize, w: i32, n_kv: i32, head_dim: i32,
                                       n_group: i32, q_stride: i32, scale: f32, mode: i32): void {
  const we = min(max(w, 0), n_kv);
  const hrow = <usize>head_dim << 2, qrow = <usize>q_stride << 2, orow = <usize>n_kv << 2;
  for (let g = 0; g < n_group; g++) {
    const og = out + <usize>g * orow;
    memory.fill(og, 0, orow);
    for (let j = 0; j < we; j++) {
      // one window query's causal softmax row (the attention kernels' row), added to the sums
      const n = n_kv - we + j + 1;
      attn_scores_row(qw + <usize>j * qrow + <usize>g * hrow, k, scores, n, head_dim, scale);
      softmax_row(scores, scores, n);
      add_f32(og, scores, og, 0, n);
    }
    if (mode == 1 && we > 0) scale_f32(og, <f32>1 / <f32>we, og, 0, n_kv);
  }
}

// ---- pooling ------------------------------------------------------------------------------

export function pool1d_f32(x: usize, y: usize, n: i32, kernel: i32, mode: i32, r0: i32, r1: i32): void {
  const rad = kernel >> 1;
  const row = <usize>n << 2;
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * row, yr = y + <usize>r * row;
    let i = 0;
    // left edge, interior in blocks of 4 (the whole window in range), then the right edge
    for (; i < n && i < rad; i++) store<f32>(yr + (<usize>i << 2), pool_at(xr, n, i, rad, mode));
    if (mode == 0) {
      for (; i + 3 + rad < n; i += 4) {
        const p = xr + (<usize>(i - rad) << 2);
        let acc = v128.load(p);
        for (let t = 1; t < kernel; t++) acc = f32x4.max(acc, v128.load(p + (<usize>t << 2)));
        v128.store(yr + (<usize>i << 2), acc);
      }
    } else {
      const kv = f32x4.splat(<f32>kernel);
      for (; i + 3 + rad < n; i += 4) {
        const p = xr + (<usize>(i - rad) << 2);
        let acc = v128.load(p);
        for (let t = 1; t < kernel; t++) acc = f32x4.add(acc, v128.load(p + (<usize>t << 2)));
        v128.store(yr + (<usize>i << 2), f32x4.div(acc, kv));
      }
    }
    for (; i < n; i++) store<f32>(yr + (<usize>i << 2), pool_at(xr, n, i, rad, mode));
  }
}

// one output of pool1d_f32: max or mean of x[max(0, i - rad) ..= min(n - 1, i + rad)], in order
// @ts-ignore: decorator
@inline function pool_at(xr: usize, n: i32, i: i32, rad: i32, mode: i32): f32 {
  const lo = max(0, i - rad), hi = min(n - 1, i + rad);
  let acc = load<f32>(xr + (<usize>lo << 2));
  if (mode == 0) {
    for (let t = lo + 1; t <= hi; t++) acc = max(acc, load<f32>(xr + (<usize>t << 2)));
    return acc;
  }
  for (let t = lo + 1; t <= hi; t++) acc += load<f32>(xr + (<usize>t << 2));
  return acc / <f32>(hi - lo + 1);
}

// ---- top-k --------------------------------------------------------------------------------

// whether position a ranks before position b: larger value first, NaN last, then by position
// @ts-ignore: decorator
@inline function ranks_before(x: usize, a: i32, b: i32, newer: bool): bool {
  const xa = load<f32>(x + (<usize>a << 2)), xb = load<f32>(x + (<usize>b << 2));
  const na = isNaN(xa), nb = isNaN(xb);
  if (na != nb) return nb;
  if (!na && xa != xb) return xa > xb;
  return newer ? a > b : a < b;
}

// restores the heap below slot i of h (len entries): every parent ranks after its children,
// so h[0] is the lowest-ranked index kept
function sift_down(x: usize, h: usize, i: i32, len: i32, newer: bool): void {
  const item = load<i32>(h + (<usize>i << 2));
  for (;;) {
    let c = 2 * i + 1;
    if (c >= len) break;
    let hc = load<i32>(h + (<usize>c << 2));
    if (c + 1 < len) {
      const hr = load<i32>(h + (<usize>(c + 1) << 2));
      if (ranks_before(x, hc, hr, newer)) { c++; hc = hr; }
    }
    if (!ranks_before(x, item, hc, newer)) break;
    store<i32>(h + (<usize>i << 2), hc);
    i = c;
  }
  store<i32>(h + (<usize>i << 2), item);
}

export function topk_f32(x: usize, n: i32, k: i32, idx_out: usize, prefer_newer: i32): void {
  const kk = min(max(k, 0), n);
  if (kk == 0) return;
  const newer = prefer_newer != 0;
  for (let i = 0; i < kk; i++) store<i32>(idx_out + (<usize>i << 2), i);
  for (let i = (kk >> 1) - 1; i >= 0; i--) sift_down(x, idx_out, i, kk, newer);
  for (let i = kk; i < n; i++) {
    if (ranks_before(x, i, load<i32>(idx_out), newer)) {
      store<i32>(idx_out, i);
      sift_down(x, idx_out, 0, kk, newer);
    }
  }
  // heap sort: move the lowest-ranked to the end, repeatedly, so idx_out ends best-first
  for (let end = kk - 1; end > 0; end--) {
    const top = load<i32>(idx_out);
    store<i32>(idx_out, load<i32>(idx_out + (<usize>end << 2)));
    store<i32>(idx_out + (<usize>end << 2), top);
    sift_down(x, idx_out, 0, end, newer);
  }
}
