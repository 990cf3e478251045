// f32 matrix kernels. Weights stay as GGUF/safetensors store them: W (n_out, n_in) row-major,
// so every output is a dot product along a contiguous row (no transposed copy).
//   gemv_f32: W (n_out, n_in) @ x (n_in) -> y (n_out), rows r in [r0, r1)
//   gemm_f32: X (m, n_in) @ W (n_out, n_in)^T -> Y (m, n_out), output columns j in [n0, n1)
//             (S: scratch for its packed panels; m < 16 takes gemm_f32_dot, which needs none)
//   pack_x, gemm_f32_px: X (m, n_in) packed whole once, rows [r0, r1), then gemm_f32 (m >= 16)
//             reading that packed X, so the threads of a prefill split and the projections that
//             share an input (q, k, v; gate, up) pack it once (qmatmul.ts: gemm_<t>_px)
// Pointers are byte offsets into linear memory. Outputs must not alias inputs. Each output is
// summed in an order fixed per build, whatever the range: a split across workers gives the
// same bits as one call.
//
// How V8 (x64, Node 20) compiles these loops decides the design: 15 xmm registers for wasm
// SIMD, and the scheduler issues every load of a loop body before the arithmetic, so
// accumulators + loads (+1 temporary for the unfused multiply-add) must stay <= 15 or an
// accumulator spills to the stack and its dependency chain runs ~2x slower. Unrolling the k
// loop doubles the live loads, so it spills too.
//
// Versions (GFLOP/s, relaxed / simd, min of many calls; the machine was shared and noisy, so
// only differences measured side by side in one process count; npm run bench for the table):
//   v1 gemm: 3x3 tiles, KC 512, NC 64.       256x2048x2048: 33.1 / 16.8 (simd spills)
//   v2 gemm: v1 with the k loop unrolled x2. 48x576x1536: 21 / 18 vs v1 33 / 14 (relaxed spills)
//   v3 gemm: tiles per build (relaxed 3x3, simd 2x4), KC 4096, NC 32:
//            256x2048x2048: 38.4 / 28.4; KC 256 / 512 / 1024 / 2048 lose 5-15 % (hsum and
//            read-modify-write of Y per block); NC 16..128 within noise. Register-only peak
//            (probe_peak_f32) was 45-49 / 30-39 at the same time.
//   v4 gemm (m >= 16): outer-product tiles on packed panels, see "outer-product" below;
//            relaxed 6 x 8, plain 5 x 8. Against v3 in one process (machine shared by 4
//            helpers, ratios only): m = 512 1.08-1.34x, m = 64 (prefill's chunk) 1.05-1.21x
//            relaxed, 0.90-1.74x plain. Quiet machine (npm run bench): m = 512 2048x2048 38.3 /
//            31.1 GFLOP/s against a peak probe of 50.2 / 40.7 (76 % / 76 %; v3 had 59 %); end
//            to end (F32 135M shape, prompt 512 in 64-row chunks, 1 thread) 1.03x / 1.01x v3.
//   v4 variants that did not win (A/B in one process, /work/ext/ab/gemm-ab.mjs, m = 512
//            2048x2048, medians of 15 alternating runs, new / v4, relaxed / plain; machine
//            shared by 3 helpers, load average 2-6, so differences under ~5 % are noise; all
//            bit-equal): k loop of ptile unrolled x2 0.60-0.66 / 0.69-0.73 (V8 hoists the
//            second step's loads and spills); PKC 128 0.86 / 0.90; PMC 258 0.97 / 0.95; PKC 512
//            1.02 / 1.03; PKC 512 with PMC 258 0.98 / 0.99. The relaxed inner loop as V8 (Node
//            20) emits it: 12 vfmadd231ps, 2 W loads, 6 vbroadcastss, 4 lea (it does not fold a
//            load32_splat's offset), 2 index moves, 2 adds, the stack check and the loop branch.
//            Against the register-only probe in interleaved pairs (npm run bench, "% peak
//            paired") v4 measured 66-70 % on the loaded machine; the same calls gave 24-25 %
//            as median over the probe's fastest sample, the bench's earlier figure.
//   gemv: see GEMV_STREAMS below. The plain build with relaxed's 4 streams x 1 accumulator
//   instead of 3 x 2 (2048x8192, 41 interleaved rounds with the read probe): within the
//   A/A noise of that measurement (the same build against itself: 0.86-1.10x), so kept.
//   An earlier version read consecutive rows side by side; timed on a saturated machine (probe
//   6.9 GB/s) it looked at ~93 % of the probe, but on a quiet one it reaches only ~55 % of it,
//   which far-apart streams recover.
import { fmadd, hsum } from "./simd";

// dot(a[k0..k1), b[k0..k1)) for a few k (the scalar tail after a vector loop)
// @ts-ignore: decorator
@inline function dotTail(a: usize, b: usize, k0: i32, k1: i32): f32 {
  let s: f32 = 0;
  for (let k = k0; k < k1; k++) {
    const o = <usize>k << 2;
    s += load<f32>(a + o) * load<f32>(b + o);
  }
  return s;
}

// Streams per build. gemv reads GEMV_STREAMS rows at once, sharing each x load, and the rows are
// taken far apart: [r0, r1) is cut into GEMV_STREAMS slices of q rows, and step i reads row i of
// every slice, so each stream walks its slice as one long contiguous run. Rows are short in
// decode (576-1536 floats), and consecutive rows read side by side made short streams that start
// cold: on the decode stream of a SmolLM2-135M-shaped model (its 210 matrices and the 49152x576
// classifier, 538 MB, quiet machine, read probe 9.4 / 10.8 GB/s simd / relaxed), consecutive rows
// gave 5.3 / 6.2 GB/s (3 rows x 2 acc simd, 6 x 1 relaxed) and far-apart streams 9.6 / 10.6
// (3 x 2, 4 x 1): the probe's rate. One row alone (4 accumulators, llama.cpp's shape) gave
// 6.7 / 7.4. Register budget as gemm's below: accumulators + loads (+1 in the plain build) <= 15.
const GEMV_STREAMS: i32 = ASC_FEATURE_RELAXED_SIMD ? 4 : 3; // rows sharing each x load
const GEMV_ACC: i32 = ASC_FEATURE_RELAXED_SIMD ? 1 : 2;     // accumulators per row (4 floats each)
const GEMV_STEP: i32 = 4 * GEMV_ACC;                        // floats of a row per loop trip

// Rows of gemv: y[r + i * gap] = dot(W[r + i * gap, :], x) for i < nrow (nrow <= GEMV_STREAMS, a
// compile-time constant at every call site, so unused rows fold away). Each row sums its
// GEMV_ACC accumulators' lanes, then the scalar tail: the order depends on neither nrow nor gap,
// so a row's result does not depend on r0, r1 (a split across workers gives the same bits).
// @ts-ignore: decorator
@inline function gemvRows(W: usize, x: usize, y: usize, n_in: i32, r: i32, gap: i32, nrow: i32): void {
  const rs = <usize>n_in << 2, gs = <usize>gap * rs;
  const w = W + <usize>r * rs;
  let p0 = w, p1 = w + gs, p2 = w + 2 * gs, p3 = w + 3 * gs, px = x;
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  let d0 = c0, d1 = c0, d2 = c0, d3 = c0;
  const kt = n_in & ~(GEMV_STEP - 1);
  const end = x + (<usize>kt << 2), step = <usize>GEMV_STEP << 2;
  for (; px < end; px += step, p0 += step, p1 += step, p2 += step, p3 += step) {
    const xa = v128.load(px), xb = GEMV_ACC > 1 ? v128.load(px, 16) : xa;
    c0 = fmadd(v128.load(p0), xa, c0);
    if (GEMV_ACC > 1) d0 = fmadd(v128.load(p0, 16), xb, d0);
    if (nrow > 1) {
      c1 = fmadd(v128.load(p1), xa, c1);
      if (GEMV_ACC > 1) d1 = fmadd(v128.load(p1, 16), xb, d1);
    }
    if (nrow > 2) {
      c2 = fmadd(v128.load(p2), xa, c2);
      if (GEMV_ACC > 1) d2 = fmadd(v128.load(p2, 16), xb, d2);
    }
    if (nrow > 3) {
      c3 = fmadd(v128.load(p3), xa, c3);
      if (GEMV_ACC > 1) d3 = fmadd(v128.load(p3, 16), xb, d3);
    }
  }
  const yr = y + (<usize>r << 2), ys = <usize>gap << 2;
  store<f32>(yr, hsum(f32x4.add(c0, d0)) + dotTail(w, x, kt, n_in));
  if (nrow > 1) store<f32>(yr + ys, hsum(f32x4.add(c1, d1)) + dotTail(w + gs, x, kt, n_in));
  if (nrow > 2) store<f32>(yr + 2 * ys, hsum(f32x4.add(c2, d2)) + dotTail(w + 2 * gs, x, kt, n_in));
  if (nrow > 3) store<f32>(yr + 3 * ys, hsum(f32x4.add(c3, d3)) + dotTail(w + 3 * gs, x, kt, n_in));
}

// gemv_f32: y[r] = sum_i W[r, i] * x[i] for r in [r0, r1)
//   W (n_out, n_in) row-major, x (n_in), y (n_out)
// Memory-bound: every weight is read once, GEMV_STREAMS far-apart rows at a time (see above);
// the last (r1 - r0) mod GEMV_STREAMS rows go together at the end.
export function gemv_f32(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void {
  const q = (r1 - r0) / GEMV_STREAMS;
  for (let i = 0; i < q; i++) gemvRows(W, x, y, n_in, r0 + i, q, GEMV_STREAMS);
  const r = r0 + q * GEMV_STREAMS;
  switch (r1 - r) {
    case 1: gemvRows(W, x, y, n_in, r, 1, 1); break;
    case 2: gemvRows(W, x, y, n_in, r, 1, 2); break;
    case 3: gemvRows(W, x, y, n_in, r, 1, 3); break;
  }
}

// ---- gemm ----
// Register budget: V8 gives wasm SIMD 15 xmm registers on x64 and schedules every load of the
// loop body first, so accumulators + loads (+ 1 temporary for the unfused multiply-add) must
// fit in 15. Relaxed (fused): 3x3 tile = 9 + 6 = 15. Plain SIMD: 2x4 tile = 8 + 6 + 1 = 15
// (3x3 there spills one accumulator to the stack and runs at ~60 %).
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 2; // X rows per register tile
const NR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 4; // W rows per register tile
const KC = 4096; // n_in block (partial sums go through Y); an X tile of 3 x KC stays in L2
const NC = 32;   // W rows per block: NC x min(KC, n_in) floats, <= 512 KB, stay in L2

// @ts-ignore: decorator
@inline function put(p: usize, v: f32, first: bool): void {
  store<f32>(p, first ? v : v + load<f32>(p));
}

// Register tile: Y[i, j] (+)= dot(X[i, k0..k1), W[j, k0..k1)) for mr X rows x nr W rows,
// mr, nr <= 4 compile-time constants at every call site (the unused accumulators fold away).
// Every output has one accumulator walked in steps of 4, then hsum, then the scalar tail:
// the same order whatever tile computes it, so results do not depend on m or [n0, n1).
// @ts-ignore: decorator
@inline function tile(x: usize, w: usize, rs: usize, y: usize, ys: usize, k0: i32, k1: i32, first: bool, mr: i32, nr: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
  let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  let c20 = c00, c21 = c00, c22 = c00, c23 = c00;
  let c30 = c00, c31 = c00, c32 = c00, c33 = c00;
  const xb = x + (<usize>k0 << 2), wb = w + (<usize>k0 << 2);
  let x0 = xb, x1 = xb + rs, x2 = xb + 2 * rs, x3 = xb + 3 * rs;
  let w0 = wb, w1 = wb + rs, w2 = wb + 2 * rs, w3 = wb + 3 * rs;
  const n = k1 - k0;
  const end = xb + (<usize>(n & ~3) << 2);
  let a0 = c00, a1 = c00, a2 = c00, a3 = c00, b = c00;
  for (; x0 < end; ) {
    a0 = v128.load(x0); x0 += 16;
    if (mr > 1) { a1 = v128.load(x1); x1 += 16; }
    if (mr > 2) { a2 = v128.load(x2); x2 += 16; }
    if (mr > 3) { a3 = v128.load(x3); x3 += 16; }
    b = v128.load(w0); w0 += 16;
    c00 = fmadd(a0, b, c00);
    if (mr > 1) c10 = fmadd(a1, b, c10);
    if (mr > 2) c20 = fmadd(a2, b, c20);
    if (mr > 3) c30 = fmadd(a3, b, c30);
    if (nr > 1) {
      b = v128.load(w1); w1 += 16;
      c01 = fmadd(a0, b, c01);
      if (mr > 1) c11 = fmadd(a1, b, c11);
      if (mr > 2) c21 = fmadd(a2, b, c21);
      if (mr > 3) c31 = fmadd(a3, b, c31);
    }
    if (nr > 2) {
      b = v128.load(w2); w2 += 16;
      c02 = fmadd(a0, b, c02);
      if (mr > 1) c12 = fmadd(a1, b, c12);
      if (mr > 2) c22 = fmadd(a2, b, c22);
      if (mr > 3) c32 = fmadd(a3, b, c32);
    }
    if (nr > 3) {
      b = v128.load(w3); w3 += 16;
      c03 = fmadd(a0, b, c03);
      if (mr > 1) c13 = fmadd(a1, b, c13);
      if (mr > 2) c23 = fmadd(a2, b, c23);
      if (mr > 3) c33 = fmadd(a3, b, c33);
    }
  }
  const kt = n & ~3;
  tileOut(xb, wb, y, c00, kt, n, first);
  if (nr > 1) tileOut(xb, wb + rs, y + 4, c01, kt, n, first);
  if (nr > 2) tileOut(xb, wb + 2 * rs, y + 8, c02, kt, n, first);
  if (nr > 3) tileOut(xb, wb + 3 * rs, y + 12, c03, kt, n, first);
  if (mr > 1) {
    const xr = xb + rs, yr = y + ys;
    tileOut(xr, wb, yr, c10, kt, n, first);
    if (nr > 1) tileOut(xr, wb + rs, yr + 4, c11, kt, n, first);
    if (nr > 2) tileOut(xr, wb + 2 * rs, yr + 8, c12, kt, n, first);
    if (nr > 3) tileOut(xr, wb + 3 * rs, yr + 12, c13, kt, n, first);
  }
  if (mr > 2) {
    const xr = xb + 2 * rs, yr = y + 2 * ys;
    tileOut(xr, wb, yr, c20, kt, n, first);
    if (nr > 1) tileOut(xr, wb + rs, yr + 4, c21, kt, n, first);
    if (nr > 2) tileOut(xr, wb + 2 * rs, yr + 8, c22, kt, n, first);
    if (nr > 3) tileOut(xr, wb + 3 * rs, yr + 12, c23, kt, n, first);
  }
  if (mr > 3) {
    const xr = xb + 3 * rs, yr = y + 3 * ys;
    tileOut(xr, wb, yr, c30, kt, n, first);
    if (nr > 1) tileOut(xr, wb + rs, yr + 4, c31, kt, n, first);
    if (nr > 2) tileOut(xr, wb + 2 * rs, yr + 8, c32, kt, n, first);
    if (nr > 3) tileOut(xr, wb + 3 * rs, yr + 12, c33, kt, n, first);
  }
}

// one output of a tile: lanes of c, plus the scalar tail k in [kt, n) of the block
// @ts-ignore: decorator
@inline function tileOut(x: usize, w: usize, y: usize, c: v128, kt: i32, n: i32, first: bool): void {
  put(y, hsum(c) + dotTail(x, w, kt, n), first);
}

// a tile of mr <= MR rows and nr <= NR columns, dispatched to its constant-size instance
function tileAny(x: usize, w: usize, rs: usize, y: usize, ys: usize, k0: i32, k1: i32, first: bool, mr: i32, nr: i32): void {
  switch (mr * 8 + nr) {
    case 8 + 1: tile(x, w, rs, y, ys, k0, k1, first, 1, 1); break;
    case 8 + 2: tile(x, w, rs, y, ys, k0, k1, first, 1, 2); break;
    case 8 + 3: tile(x, w, rs, y, ys, k0, k1, first, 1, 3); break;
    case 8 + 4: tile(x, w, rs, y, ys, k0, k1, first, 1, 4); break;
    case 16 + 1: tile(x, w, rs, y, ys, k0, k1, first, 2, 1); break;
    case 16 + 2: tile(x, w, rs, y, ys, k0, k1, first, 2, 2); break;
    case 16 + 3: tile(x, w, rs, y, ys, k0, k1, first, 2, 3); break;
    case 16 + 4: tile(x, w, rs, y, ys, k0, k1, first, 2, 4); break;
    case 24 + 1: tile(x, w, rs, y, ys, k0, k1, first, 3, 1); break;
    case 24 + 2: tile(x, w, rs, y, ys, k0, k1, first, 3, 2); break;
    case 24 + 3: tile(x, w, rs, y, ys, k0, k1, first, 3, 3); break;
    case 24 + 4: tile(x, w, rs, y, ys, k0, k1, first, 3, 4); break;
    case 32 + 1: tile(x, w, rs, y, ys, k0, k1, first, 4, 1); break;
    case 32 + 2: tile(x, w, rs, y, ys, k0, k1, first, 4, 2); break;
    case 32 + 3: tile(x, w, rs, y, ys, k0, k1, first, 4, 3); break;
    default: tile(x, w, rs, y, ys, k0, k1, first, 4, 4);
  }
}

// the full MR x NR tile, its own function so the hot loop is compiled on its own
function tileFull(x: usize, w: usize, rs: usize, y: usize, ys: usize, k0: i32, k1: i32, first: bool): void {
  tile(x, w, rs, y, ys, k0, k1, first, MR, NR);
}

// gemm_f32_dot: Y[i, j] = sum_k X[i, k] * W[j, k] for i in [0, m), j in [n0, n1)
//   X (m, n_in) row-major, W (n_out, n_in) row-major, Y (m, n_out) row-major
// The dot-product form: no scratch, no packing. gemm_f32 takes it for m < GEMM_PACK_MIN_M, and
// the quantized gemm for its decoded panels (qmatmul.ts).
// Blocks: n_in in KC steps (partial sums added into Y), W rows in NC steps; inside a block,
// MR x NR register tiles of X rows x W rows.
export function gemm_f32_dot(X: usize, W: usize, Y: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void {
  const rs = <usize>n_in << 2, ys = <usize>n_out << 2;
  if (n_in == 0) {
    for (let i = 0; i < m; i++) for (let j = n0; j < n1; j++) store<f32>(Y + <usize>i * ys + (<usize>j << 2), 0);
    return;
  }
  for (let k0 = 0; k0 < n_in; k0 += KC) {
    const k1 = min(k0 + KC, n_in);
    const first = k0 == 0;
    for (let jb = n0; jb < n1; jb += NC) {
      const je = min(jb + NC, n1);
      for (let i = 0; i < m; i += MR) {
        const mr = min(MR, m - i);
        const x = X + <usize>i * rs, y = Y + <usize>i * ys;
        let j = jb;
        if (mr == MR) for (; j + NR <= je; j += NR) tileFull(x, W + <usize>j * rs, rs, y + (<usize>j << 2), ys, k0, k1, first);
        for (; j < je; j += NR) tileAny(x, W + <usize>j * rs, rs, y + (<usize>j << 2), ys, k0, k1, first, mr, min(NR, je - j));
      }
    }
  }
}

// ---- gemm, outer-product (broadcast) form on packed panels ----
// For m >= GEMM_PACK_MIN_M (prefill). Per k step, a register tile of PMR X rows x 8 W rows
// loads the 8 weights as two f32x4 from a packed W panel, splats each X value (one
// v128.load32_splat from a packed X block) and multiply-adds into 2 accumulators per row:
// 2 PMR multiply-adds per 2 + PMR loads and one pointer step per operand, against 9 per
// 6 loads and 6 pointer steps for the dot-product tile above, and no horizontal sums.
// V8 keeps each splat next to its two multiply-adds (it does not hoist them), so the live
// registers are 2 PMR accumulators + 2 weights + 1 splat (+1 temporary, plain SIMD):
// relaxed 6 rows = 15, plain 5 rows = 14.
// Measured (standalone A/B in one process, old tile vs this, m = 512, shapes 576x576, 576x1536,
// 1536x576, 2048x2048, medians of 15 alternating runs, machine shared by 4 helpers): relaxed
// 1.34 / 1.17 / 1.21 / 1.19x, plain (5 rows) 1.31 / 1.21 / 1.38 / 1.12x.
// Order: every output Y[i, j] is one f32x4 lane summed k = 0, 1, ..., n_in - 1 in turn
// (across n_in blocks the accumulators reload from Y, which holds the exact running sum), so
// the bits depend on neither m, the tile, nor [n0, n1): a split across workers gives the same bits.
// This is another order than gemm_f32_dot's, so a call with m < GEMM_PACK_MIN_M rounds differently.
// (exported with packW, packX, packedKBlock and packedPanel to qmatmul.ts, whose gemm decodes
// quantized W panels straight into this layout)
export const PMR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5; // X rows per register tile
export const PKC: i32 = 256; // n_in block: a packed W panel is PKC x 8 floats (8 KB, L1)
export const PMC: i32 = 516; // X rows per packed block, rounded down to whole tiles (<= 516 x 256 floats, L2)
// the one fixed m at which gemm_f32 switches to the packed form
export const GEMM_PACK_MIN_M: i32 = 16;
// scratch gemm_f32 uses, in order: one packed W panel (PKC x 8 floats), one edge tile (8 x 8),
// then the packed X block (min(m, PMC) rows rounded up to whole PMR-row tiles, x PKC floats),
// so a caller whose m stays small needs
// less (gemmF32ScratchFloats in src/wasm/ops/matmul.ts gives the figure for an m)

// Register tile: Y[i + r, j + c] (+)= sum_k xp[k, r] * wp[k, c] for r < mr, c < 8, k < kc;
// xp: packed X (kc, PMR), wp: packed W (kc, 8); y: Y[i, j], ys: its row stride in bytes.
// first: start from 0, else from the values in Y. mr <= PMR, a compile-time constant (a tile
// at the m edge reads the first mr rows of its packed tile).
// @ts-ignore: decorator
@inline function ptile(xp: usize, wp: usize, kc: i32, y: usize, ys: usize, first: bool, mr: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  if (!first) {
    c00 = v128.load(y); c01 = v128.load(y, 16);
    if (mr > 1) { c10 = v128.load(y + ys); c11 = v128.load(y + ys, 16); }
    if (mr > 2) { c20 = v128.load(y + 2 * ys); c21 = v128.load(y + 2 * ys, 16); }
    if (mr > 3) { c30 = v128.load(y + 3 * ys); c31 = v128.load(y + 3 * ys, 16); }
    if (mr > 4) { c40 = v128.load(y + 4 * ys); c41 = v128.load(y + 4 * ys, 16); }
    if (mr > 5) { c50 = v128.load(y + 5 * ys); c51 = v128.load(y + 5 * ys, 16); }
  }
  const end = wp + (<usize>kc << 5);
  for (; wp < end; wp += 32, xp += <usize>PMR << 2) {
    const w0 = v128.load(wp), w1 = v128.load(wp, 16);
    let a = v128.load32_splat(xp);
    c00 = fmadd(a, w0, c00); c01 = fmadd(a, w1, c01);
    if (mr > 1) { a = v128.load32_splat(xp, 4); c10 = fmadd(a, w0, c10); c11 = fmadd(a, w1, c11); }
    if (mr > 2) { a = v128.load32_splat(xp, 8); c20 = fmadd(a, w0, c20); c21 = fmadd(a, w1, c21); }
    if (mr > 3) { a = v128.load32_splat(xp, 12); c30 = fmadd(a, w0, c30); c31 = fmadd(a, w1, c31); }
    if (mr > 4) { a = v128.load32_splat(xp, 16); c40 = fmadd(a, w0, c40); c41 = fmadd(a, w1, c41); }
    if (mr > 5) { a = v128.load32_splat(xp, 20); c50 = fmadd(a, w0, c50); c51 = fmadd(a, w1, c51); }
  }
  v128.store(y, c00); v128.store(y, c01, 16);
  if (mr > 1) { v128.store(y + ys, c10); v128.store(y + ys, c11, 16); }
  if (mr > 2) { v128.store(y + 2 * ys, c20); v128.store(y + 2 * ys, c21, 16); }
  if (mr > 3) { v128.store(y + 3 * ys, c30); v128.store(y + 3 * ys, c31, 16); }
  if (mr > 4) { v128.store(y + 4 * ys, c40); v128.store(y + 4 * ys, c41, 16); }
  if (mr > 5) { v128.store(y + 5 * ys, c50); v128.store(y + 5 * ys, c51, 16); }
}

// the PMR x 8 tile, its own function so the hot loop is compiled on its own
function ptileFull(xp: usize, wp: usize, kc: i32, y: usize, ys: usize, first: bool): void {
  ptile(xp, wp, kc, y, ys, first, PMR);
}

// a tile of mr < PMR rows (the m edge), dispatched to its constant-size instance
function ptileRows(xp: usize, wp: usize, kc: i32, y: usize, ys: usize, first: bool, mr: i32): void {
  switch (mr) {
    case 1: ptile(xp, wp, kc, y, ys, first, 1); break;
    case 2: ptile(xp, wp, kc, y, ys, first, 2); break;
    case 3: ptile(xp, wp, kc, y, ys, first, 3); break;
    case 4: ptile(xp, wp, kc, y, ys, first, 4); break;
    default: ptile(xp, wp, kc, y, ys, first, 5);
  }
}

// 4 rows a..d of 4 consecutive k -> 4 k steps of (a, b, c, d) at o, o + 32, o + 64, o + 96
// @ts-ignore: decorator
@inline function transpose4(a: v128, b: v128, c: v128, d: v128, o: usize): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5), t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(o, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(o, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
  v128.store(o, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
  v128.store(o, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
}

// packed W panel: W[j + c, k0 + k] -> wp[k * 8 + c] for k < kc, c < 8 (0 for c >= nc)
//   W (n_out, n_in) row-major, rs = n_in * 4 bytes; wp (kc, 8)
export function packW(W: usize, rs: usize, wp: usize, j: i32, nc: i32, k0: i32, kc: i32): void {
  const w = W + <usize>j * rs + (<usize>k0 << 2);
  let k = 0;
  if (nc == 8) {
    for (const k4 = kc & ~3; k < k4; k += 4) {
      const p = w + (<usize>k << 2), o = wp + (<usize>k << 5);
      transpose4(v128.load(p), v128.load(p + rs), v128.load(p + 2 * rs), v128.load(p + 3 * rs), o);
      transpose4(v128.load(p + 4 * rs), v128.load(p + 5 * rs), v128.load(p + 6 * rs), v128.load(p + 7 * rs), o + 16);
    }
  }
  for (; k < kc; k++) {
    const o = wp + (<usize>k << 5);
    for (let c = 0; c < 8; c++) store<f32>(o + (<usize>c << 2), c < nc ? load<f32>(w + <usize>c * rs + (<usize>k << 2)) : 0);
  }
}

// packed X block: rows [i0, i1) as tiles of PMR rows, tile t at xp + t * kc * PMR floats,
// X[i0 + t * PMR + r, k0 + k] -> tile[k * PMR + r] (0 for rows >= i1)
// A whole tile moves 4 k at a time: rows 0-3 through a 4 x 4 transpose (one store per k), rows
// 4 .. PMR - 1 as lanes (was 5.3 % of a Q8_0 prefill one value at a time, below)
export function packX(X: usize, rs: usize, xp: usize, i0: i32, i1: i32, k0: i32, kc: i32): void {
  const step = <usize>PMR << 2, k4 = kc & ~3;
  for (let t = i0; t < i1; t += PMR) {
    const o = xp + (<usize>((t - i0) * kc) << 2);
    let k = 0;
    if (t + PMR <= i1) {
      const src = X + <usize>t * rs + (<usize>k0 << 2);
      for (; k < k4; k += 4) {
        const p = src + (<usize>k << 2), q = o + <usize>k * step;
        const a = v128.load(p), b = v128.load(p + rs), c = v128.load(p + 2 * rs), d = v128.load(p + 3 * rs);
        const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
        const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5), t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
        v128.store(q, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
        v128.store(q + step, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
        v128.store(q + 2 * step, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
        v128.store(q + 3 * step, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
        const e = v128.load(p + 4 * rs);
        if (PMR == 6) { // rows 4, 5: (k, r4, r5) pairs
          const f = v128.load(p + 5 * rs);
          const u0 = i32x4.shuffle(e, f, 0, 4, 1, 5), u1 = i32x4.shuffle(e, f, 2, 6, 3, 7);
          v128.store64_lane(q, u0, 0, 16); v128.store64_lane(q + step, u0, 1, 16);
          v128.store64_lane(q + 2 * step, u1, 0, 16); v128.store64_lane(q + 3 * step, u1, 1, 16);
        } else {        // row 4
          v128.store32_lane(q, e, 0, 16); v128.store32_lane(q + step, e, 1, 16);
          v128.store32_lane(q + 2 * step, e, 2, 16); v128.store32_lane(q + 3 * step, e, 3, 16);
        }
      }
    }
    for (let r = 0; r < PMR; r++) {
      const i = t + r, or = o + (<usize>r << 2);
      if (i < i1) {
        const src = X + <usize>i * rs + (<usize>k0 << 2);
        for (let kk = k; kk < kc; kk++) store<f32>(or + <usize>kk * step, load<f32>(src + (<usize>kk << 2)));
      } else {
        for (let kk = k; kk < kc; kk++) store<f32>(or + <usize>kk * step, 0);
      }
    }
  }
}

// gemm_f32: Y[i, j] = sum_k X[i, k] * W[j, k] for i in [0, m), j in [n0, n1)
//   X (m, n_in) row-major, W (n_out, n_in) row-major, Y (m, n_out) row-major,
//   S: PKC * 8 + 64 + min(m + PMR - 1, PMC) * PKC floats of scratch (the packed X block's rows are
//   whole tiles; overwritten; unused for m < GEMM_PACK_MIN_M)
// Blocks: n_in in PKC steps, X rows in PMC steps (packed once per block), W rows in panels of 8
// (packed once per X block); tiles of PMR x 8 (fewer rows at the m edge). A tile at the n edge
// runs on a copy in S.
export function gemm_f32(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void {
  if (m < GEMM_PACK_MIN_M || n_in == 0) {
    gemm_f32_dot(X, W, Y, m, n_in, n_out, n0, n1);
    return;
  }
  gemmPackedF32(X, 0, W, Y, S, m, n_in, n_out, n0, n1);
}

// gemm_f32_px: gemm_f32 (m >= GEMM_PACK_MIN_M) with X already packed whole in PX by pack_x
// (align 4): PX is read, not written, so the threads of a split share one packed copy.
//   S: PKC * 8 + 64 floats (the W panel and the edge tile). Same bits as gemm_f32.
export function gemm_f32_px(PX: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void {
  gemmPackedF32(0, PX, W, Y, S, m, n_in, n_out, n0, n1);
}

// the packed gemm over X (packed here, block by block, into S) or PX (X packed whole by
// pack_x, X = 0): the tiles and their order are the same, so the bits are too
// @ts-ignore: decorator
@inline function gemmPackedF32(X: usize, PX: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void {
  const rs = <usize>n_in << 2, ys = <usize>n_out << 2;
  const mc = PX ? m : PMC - PMC % PMR;
  const SW = S, T = SW + (<usize>(PKC * 8) << 2), SX = T + (<usize>64 << 2);
  const kb = packedKBlock(n_in, 4);
  for (let k0 = 0; k0 < n_in; k0 += kb) {
    const kc = min(kb, n_in - k0), first = k0 == 0;
    for (let ib = 0; ib < m; ib += mc) {
      const ie = min(ib + mc, m);
      const xb = PX ? packedXBlock(PX, m, k0) : SX;
      if (!PX) packX(X, rs, SX, ib, ie, k0, kc);
      for (let j = n0; j < n1; j += 8) {
        const nc = min(8, n1 - j);
        packW(W, rs, SW, j, nc, k0, kc);
        packedPanel(xb, SW, T, Y, ys, ib, ie, j, nc, kc, first);
      }
    }
  }
}

// X packed whole, for gemms that share it (pack_x below): the k block at k0 (packedKBlock(n_in,
// align) wide) holds all m rows as packX lays out one block, PACKED_ROWS_ALIGN-row groups of
// whole tiles; block k0 starts at PX + k0 * packedRows(m) floats.
// Rows are rounded to a multiple of every build's PMR (5 and 6), so the layout's size and a
// part's start do not depend on the build: packedRows(m) * n_in floats in all.
export const PACKED_ROWS_ALIGN: i32 = 30;
// @ts-ignore: decorator
@inline export function packedRows(m: i32): i32 { return (m + PACKED_ROWS_ALIGN - 1) / PACKED_ROWS_ALIGN * PACKED_ROWS_ALIGN; }
// @ts-ignore: decorator
@inline export function packedXBlock(PX: usize, m: i32, k0: i32): usize { return PX + (<usize>k0 * <usize>packedRows(m) << 2); }

// pack_x: rows [r0, r1) of X (m, n_in) row-major into PX, every k block of packedKBlock(n_in, align)
// (align: 4 for gemm_f32_px, the quant block, 32 or 256, for gemm_<t>_px), r0 a multiple of
// PACKED_ROWS_ALIGN (r1 too unless r1 = m). PX: packedRows(m) * n_in floats. Parts of the rows
// may run on different threads; the result does not depend on the split.
export function pack_x(X: usize, PX: usize, m: i32, n_in: i32, align: i32, r0: i32, r1: i32): void {
  if (r0 >= r1 || n_in <= 0) return;
  const rs = <usize>n_in << 2, kb = packedKBlock(n_in, align);
  for (let k0 = 0; k0 < n_in; k0 += kb) {
    const kc = min(kb, n_in - k0);
    packX(X, rs, packedXBlock(PX, m, k0) + (<usize>(r0 * kc) << 2), r0, r1, k0, kc);
  }
}

// k blocks of equal size, a multiple of align (4, or a quantized block), <= PKC:
// 576 -> 3 x 192 rather than 256, 256, 64 (n_in > 0; the last block may be shorter)
export function packedKBlock(n_in: i32, align: i32): i32 {
  const nb = (n_in + PKC - 1) / PKC;
  return min(PKC, ((n_in + nb - 1) / nb + align - 1) / align * align);
}

// Y[i, j + c] (+)= sum_k SX[.., i] * SW[k, c] for i in [ib, ie), c < nc: the tiles of one packed W
// panel SW (kc, 8) against the packed X block SX of rows [ib, ie) (packX); first: start from 0,
// else add to Y. T: 8 x 8 floats where a tile at the n edge (nc < 8) runs, only its rows and
// columns in range going back to Y.
export function packedPanel(SX: usize, SW: usize, T: usize, Y: usize, ys: usize, ib: i32, ie: i32, j: i32, nc: i32, kc: i32, first: bool): void {
  for (let t = ib; t < ie; t += PMR) {
    const xp = SX + (<usize>((t - ib) * kc) << 2);
    const y = Y + <usize>t * ys + (<usize>j << 2);
    const rows = min(PMR, ie - t);
    if (nc == 8) {
      if (rows == PMR) ptileFull(xp, SW, kc, y, ys, first);
      else ptileRows(xp, SW, kc, y, ys, first, rows);
    } else {
      if (!first) {
        for (let r = 0; r < rows; r++) for (let c = 0; c < nc; c++) {
          store<f32>(T + (<usize>(r * 8 + c) << 2), load<f32>(y + <usize>r * ys + (<usize>c << 2)));
        }
      }
      ptileFull(xp, SW, kc, T, 32, first);
      for (let r = 0; r < rows; r++) for (let c = 0; c < nc; c++) {
        store<f32>(y + <usize>r * ys + (<usize>c << 2), load<f32>(T + (<usize>(r * 8 + c) << 2)));
      }
    }
  }
}
