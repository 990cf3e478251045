// softmax_rows_f32: y[r] = softmax(x[r] + mask[r]) over each row r in [r0, r1)
//   x, y (rows, n) row-major; mask (rows, n) additive f32, or 0 for none; y may alias x.
//   causal_offset >= 0: only columns c <= r + causal_offset take part; the others are not read
//   and their outputs are 0. causal_offset < 0: every column takes part.
//   Stable: the row max is subtracted before exp, so exp's arguments are <= 0: expneg (mathx.ts),
//   which gives 0 for entries under exp(-87.5) of the max (1e-38 relative) instead of subnormals.
//   A row whose entries are all -inf gives all 0; a NaN in a row's live columns makes that row's
//   outputs NaN.
// Each row is computed the same way whatever [r0, r1) is, so row splits give identical bits.
// softmax_row (one row, below) is the module's only softmax: attention.ts and aggregate.ts call it.
import { expneg_f32x4, expnegf_ } from "./mathx";
import { hmax, hsum } from "./simd";
import { add_f32, scale_f32 } from "./elementwise";

export function softmax_rows_f32(x: usize, y: usize, n: i32, r0: i32, r1: i32, mask: usize, causal_offset: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = (<usize>r * <usize>n) << 2;
    // live columns [0, m); written without r + causal_offset + 1 so it cannot overflow
    const m = causal_offset >= 0 && causal_offset < n - 1 - r ? r + causal_offset + 1 : n;
    let src = x + o;
    if (mask != 0) {
      add_f32(src, mask + o, y + o, 0, m);
      src = y + o;
    }
    softmax_row(src, y + o, m);
    for (let c = m; c < n; c++) store<f32>(y + o + (<usize>c << 2), 0);
  }
}

// dst[0, m) = softmax(src[0, m)); dst may alias src. All -inf (or m = 0): zeros; a NaN: all NaN.
// Not inlined: its four callers share one copy (one call per row costs nothing beside the row).
export function softmax_row(src: usize, dst: usize, m: i32): void {
  // pass 1: row max (f32 max propagates NaN); two accumulators to hide the max latency
  let vmax = f32x4.splat(-Infinity), vmax2 = vmax;
  let c = 0;
  for (; c + 8 <= m; c += 8) {
    vmax = f32x4.max(vmax, v128.load(src + (<usize>c << 2)));
    vmax2 = f32x4.max(vmax2, v128.load(src + (<usize>c << 2), 16));
  }
  for (; c + 4 <= m; c += 4) vmax = f32x4.max(vmax, v128.load(src + (<usize>c << 2)));
  let mx = hmax(f32x4.max(vmax, vmax2));
  for (; c < m; c++) mx = max<f32>(mx, load<f32>(src + (<usize>c << 2)));
  if (mx == -Infinity) {
    // every live entry is -inf (or the row is empty): all zeros, not 0/0
    for (c = 0; c < m; c++) store<f32>(dst + (<usize>c << 2), 0);
    return;
  }
  // pass 2: e = exp(src - max) into dst, summed in four lanes then the tail
  const vmx = f32x4.splat(mx);
  let vsum = f32x4.splat(0), vsum2 = vsum;
  c = 0;
  // four independent exps per iteration: V8 schedules a loop body in order, so this lets their
  // dependency chains overlap (rows of 4096, npm run bench: one exp per iteration ~274, two ~330,
  // four ~450-470 M elem/s); then pairs and single vectors for the rest of the row
  for (; c + 16 <= m; c += 16) {
    const o = <usize>c << 2;
    const e0 = expneg_f32x4(f32x4.sub(v128.load(src + o), vmx));
    const e1 = expneg_f32x4(f32x4.sub(v128.load(src + o, 16), vmx));
    const e2 = expneg_f32x4(f32x4.sub(v128.load(src + o, 32), vmx));
    const e3 = expneg_f32x4(f32x4.sub(v128.load(src + o, 48), vmx));
    v128.store(dst + o, e0);
    v128.store(dst + o, e1, 16);
    v128.store(dst + o, e2, 32);
    v128.store(dst + o, e3, 48);
    vsum = f32x4.add(vsum, f32x4.add(e0, e2));
    vsum2 = f32x4.add(vsum2, f32x4.add(e1, e3));
  }
  for (; c + 8 <= m; c += 8) {
    const o = <usize>c << 2;
    const e0 = expneg_f32x4(f32x4.sub(v128.load(src + o), vmx));
    const e1 = expneg_f32x4(f32x4.sub(v128.load(src + o, 16), vmx));
    v128.store(dst + o, e0);
    v128.store(dst + o, e1, 16);
    vsum = f32x4.add(vsum, e0);
    vsum2 = f32x4.add(vsum2, e1);
  }
  vsum = f32x4.add(vsum, vsum2);
  for (; c + 4 <= m; c += 4) {
    const o = <usize>c << 2;
    const e = expneg_f32x4(f32x4.sub(v128.load(src + o), vmx));
    v128.store(dst + o, e);
    vsum = f32x4.add(vsum, e);
  }
  let sum = hsum(vsum);
  for (; c < m; c++) {
    const o = <usize>c << 2;
    const e = expnegf_(load<f32>(src + o) - mx);
    store<f32>(dst + o, e);
    sum += e;
  }
  // pass 3: normalize (sum >= 1, since the max entry contributes exp(0) = 1)
  scale_f32(dst, <f32>1 / sum, dst, 0, m);
}
