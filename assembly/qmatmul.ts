// Matrix-vector and matrix-matrix products with GGUF-quantized weights and f32 activations.
// W (n_out, n_in) stored row after row, each row n_in / block blocks (q8_0, q4_0, q5_0: 32 values;
// q4_k, q6_k: 256); n_in is a multiple of the block. The weights stay quantized: the gemv
// kernels decode each block in registers (qblocks.ts) and never write it out.
//   gemv_<t>(W, x, y, n_in, r0, r1)          y[r] = dot(deq(W[r]), x)      x (n_in), y (n_out); r in [r0, r1)
//   gemm_<t>(X, W, Y, S, m, n_in, n_out, n0, n1)
//                                            Y[i, c] = dot(X[i], deq(W[c])) X (m, n_in), Y (m, n_out); c in [n0, n1)
//       S: caller's f32 scratch (src/wasm/ops/qmatmul.ts gemmScratchFloats(n_in, m)). m >= 16: each
//       panel of 8 W rows is decoded straight into the packed layout of matmul.ts's outer-product
//       gemm and multiplied by the X block packed once per k block (gemmPacked); m < 16: panels of
//       GEMM_PANEL W rows decoded row-major into S and multiplied by the f32 dot-product gemm.
//       Measured (gemmPacked against the decoded-panel dot-product path for every m, two dist builds
//       in one process alternating rep by rep, SmolLM2-135M shape, prompt 512 in 64-row chunks,
//       1 thread, prompt tokens per CPU second of the process (the machine was shared by 3-4
//       helpers on 2 cores, so wall time swung 2x), medians of per-rep ratios, relaxed / simd):
//       Q8_0 1.10x / 1.09x (92.7 -> 99.8, 71.8 -> 77.6 tok/s; 7 reps), Q4_K_M 1.02x / 0.99x
//       (5 reps; its Q5_0 and k-quant panels). Kernel alone (m = 64, process CPU time, 9 alternating
//       reps, relaxed): Q8_0 576x576 1.12x, 1536x576 0.97x, 576x1536 1.10x, 192x576 1.05x; Q5_0
//       1.09x, 1.00x, 0.99x, 1.07x (wide spread per rep: 0.64-2.06x on one shape).
//   dequant_rows_<t>(W, dst, n_in, r0, r1)   dst[r - r0] = deq(W[r])       dst (r1 - r0, n_in); r in [r0, r1)
//       bit-exact with ggml's dequantize_row_* (products rounded before the min is subtracted).
// With integer activations (the activation row quantized once per matmul by qact.ts, as
// llama.cpp's vec_dot_<t>_q8_0 reads it):
//   gemv_<t>_q8_0(W, xq, y, n_in, r0, r1)   y[r] = sum over blocks b of sumi_b * (d_w[b] * d_x[b])
//       xq: one Q8A row (qact.ts); sumi_b = sum of w quant * x quant over block b, exact in i32
//       (i32x4.dot_i16x8_s; the relaxed build's q4_0 and q5_0 reach the same i32 lanes through
//       i16x8.relaxed_dot_i8x16_i7x16_s, below). Four W rows at a time, taken far apart (four
//       streams through W, below); each row's sums are the same whatever the split of [r0, r1).
//       Lane k of an f32x4 accumulates blocks' lane-k partial sums as
//       acc + f32(sumi) * d with the product rounded before the add (no fma in either build),
//       then hsum: the same bits as src/ref/qmatmul.ts gemv_q_q8_0. For q8_0, q4_0 and q5_0.
//   gemv_<t>_q8_k(W, xq, y, n_in, r0, r1)   the k-quants (q4_k, q6_k) with xq one Q8KA row (qact.ts),
//       as ggml's vec_dot_<t>_q8_K: per 256-block b the integer sum isum_b = sum_j sc_j * (w_j . x_j)
//       over its sub-blocks j (and for q4_k msum_b = sum_j m_j * s32_j), exact in i32; then
//       y = sum_b f32(isum_b) * (d_x d_w) - sum_b f32(msum_b) * (d_x dmin_w), two scalar f32 sums in
//       block order (product rounded, then added). Both builds give the same bits (the relaxed
//       build forms the same integers with i16x8.relaxed_dot_i8x16_i7x16_s).
import { f16x4_to_f32x4, fmadd, hsum } from "./simd";
import { QK4_0_BYTES, QK4_K_BYTES, QK5_0_BYTES, QK6_K_BYTES, QK8_0_BYTES, deq16, lanes0, lanes4, lanes8, lanes12, dot16, f16_to_f32, q4_0_hi, q4_0_lo, q4_k_scale_min, q5_0_hi, q5_0_hi_u, q5_0_lo, q5_0_lo_u, q6_k_run, q6_k_run_u, sum16 } from "./qblocks";
import { GEMM_PACK_MIN_M, PKC, PMC, PMR, gemm_f32_dot, packW, packX, packedKBlock, packedPanel, packedXBlock } from "./matmul";

const GEMM_PANEL: i32 = 32; // W rows per decoded panel (the f32 gemm's NC); src/wasm/ops/qmatmul.ts QGEMM_PANEL

// ---------------------------------------------------------------- the type tag
// A weight type is a compile-time tag: every call site passes a literal, and the @inline
// templates below fold to that type's code (as matmul.ts's nrow), so each exported kernel is
// the hand-written loop of its type with no dispatch left at run time.
// A new block type: a tag, its blockShift / blockBytes entries, its row function (DOT and DEQ)
// in row(), and its three export lines at the bottom (plus the TS side: src/wasm/ops/qmatmul.ts
// Q_KERNEL_DTYPES, src/ref/qmatmul.ts). A variant with quantized activations would add an op
// (or a row function over q8 x) and its own gemv template beside gemv() below.
const Q8_0: i32 = 0;
const Q4_0: i32 = 1;
const Q4_K: i32 = 2;
const Q6_K: i32 = 3;
const Q5_0: i32 = 4;

// the 32-value block types (one f16 scale d at byte 0, then quants)
// @ts-ignore: decorator
@inline function is32(t: i32): bool { return t == Q8_0 || t == Q4_0 || t == Q5_0; }

// log2 of the values in a block of type t (q8_0, q4_0, q5_0: 32; q4_k, q6_k: 256)
// @ts-ignore: decorator
@inline function blockShift(t: i32): i32 { return is32(t) ? 5 : 8; }

// bytes in a block of type t
// @ts-ignore: decorator
@inline function blockBytes(t: i32): usize {
  return t == Q8_0 ? QK8_0_BYTES : t == Q4_0 ? QK4_0_BYTES : t == Q5_0 ? QK5_0_BYTES : t == Q4_K ? QK4_K_BYTES : QK6_K_BYTES;
}


// ---------------------------------------------------------------- one row: dot or decode
// Each type has one row function; `op` (a literal at every call site, folded like the type tag)
// says what to do with each decoded run of 16 quants: DOT accumulates dot(deq(W row), x) with
// x at p and returns it; DEQ writes deq(W row) to p (the return value is unused).
const DOT: i32 = 0;
const DEQ: i32 = 1;

// Q8_0, Q4_0, Q5_0: 32-value blocks, an f16 scale d, then the quants: two runs of 16 (values 0-15, 16-31)
// @ts-ignore: decorator
@inline function run32(t: i32, pw: usize, half: i32): v128 {
  if (t == Q8_0) return half == 0 ? v128.load(pw, 2) : v128.load(pw, 18);
  if (t == Q5_0) return half == 0 ? q5_0_lo(pw) : q5_0_hi(pw);
  return half == 0 ? q4_0_lo(pw + 2) : q4_0_hi(pw + 2);
}

// @ts-ignore: decorator
@inline function row32(t: i32, op: i32, pw: usize, p: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  const z = f32x4.splat(-0.0); // x + -0 = x, signed zeros included
  for (let b = 0; b < nb; b++) {
    if (op == DOT) {
      const s = f32x4.add(dot16(run32(t, pw, 0), p), dot16(run32(t, pw, 1), p + 64));
      acc = fmadd(s, f32x4.splat(f16_to_f32(load<u16>(pw))), acc);
    } else {
      const d = f32x4.splat(f16_to_f32(load<u16>(pw)));
      deq16(run32(t, pw, 0), d, z, p);
      deq16(run32(t, pw, 1), d, z, p + 64);
    }
    pw += blockBytes(t); p += 128;
  }
  return hsum(acc);
}

// Q4_K: value = d*sc * q - dmin*m, so a sub-block adds d*sc * sum(q x) - dmin*m * sum(x).
// Chunk c holds sub-blocks 2c (low nibbles of qs[32c..32c+31]) and 2c+1 (high nibbles).
// @ts-ignore: decorator
@inline function row_q4_k(op: i32, pw: usize, p: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  const m4 = i8x16.splat(15);
  for (let b = 0; b < nb; b++) {
    const d = f16_to_f32(load<u16>(pw)), dmin = f16_to_f32(load<u16>(pw, 2));
    for (let c = 0; c < 4; c++) {
      const v0 = v128.load(pw + 16 + 32 * c), v1 = v128.load(pw + 32 + 32 * c);
      const sm0 = q4_k_scale_min(pw + 4, 2 * c), sm1 = q4_k_scale_min(pw + 4, 2 * c + 1);
      if (op == DOT) {
        const qa = f32x4.add(dot16(v128.and(v0, m4), p), dot16(v128.and(v1, m4), p + 64));
        const qb = f32x4.add(dot16(i8x16.shr_u(v0, 4), p + 128), dot16(i8x16.shr_u(v1, 4), p + 192));
        const xs = f32x4.add(f32x4.mul(f32x4.add(sum16(p), sum16(p + 64)), f32x4.splat(dmin * <f32>(sm0 >> 8))),
          f32x4.mul(f32x4.add(sum16(p + 128), sum16(p + 192)), f32x4.splat(dmin * <f32>(sm1 >> 8))));
        acc = fmadd(qa, f32x4.splat(d * <f32>(sm0 & 255)), acc);
        acc = fmadd(qb, f32x4.splat(d * <f32>(sm1 & 255)), f32x4.sub(acc, xs));
      } else {
        const d0 = f32x4.splat(d * <f32>(sm0 & 255)), b0 = f32x4.splat(-(dmin * <f32>(sm0 >> 8)));
        const d1 = f32x4.splat(d * <f32>(sm1 & 255)), b1 = f32x4.splat(-(dmin * <f32>(sm1 >> 8)));
        deq16(v128.and(v0, m4), d0, b0, p);
        deq16(v128.and(v1, m4), d0, b0, p + 64);
        deq16(i8x16.shr_u(v0, 4), d1, b1, p + 128);
        deq16(i8x16.shr_u(v1, 4), d1, b1, p + 192);
      }
      p += 256;
    }
    pw += QK4_K_BYTES;
  }
  return hsum(acc);
}

// Q6_K: one run of 16 quants q with its scale (d * sc[k]) at p: accumulated (DOT) or written (DEQ)
// @ts-ignore: decorator
@inline function run_q6_k(op: i32, q: v128, scale: f32, p: usize, acc: v128): v128 {
  if (op == DOT) return fmadd(dot16(q, p), f32x4.splat(scale), acc);
  deq16(q, f32x4.splat(scale), f32x4.splat(-0.0), p);
  return acc;
}

// Q6_K: each run of 16 values has its own scale d*sc[k], k = run index in the super-block.
// @ts-ignore: decorator
@inline function row_q6_k(op: i32, pw: usize, p: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const d = f16_to_f32(load<u16>(pw, 208));
    for (let h = 0; h < 2; h++) {
      for (let l0 = 0; l0 < 32; l0 += 16) {
        const ql = pw + 64 * h + l0, qh = pw + 128 + 32 * h + l0, sc = pw + 192 + 8 * h + (l0 >> 4);
        const x = p + 512 * h + 4 * l0;
        const a = v128.load(ql), a2 = v128.load(ql, 32), hb = v128.load(qh);
        acc = run_q6_k(op, q6_k_run(a, a2, hb, 0), d * <f32>load<i8>(sc), x, acc);
        acc = run_q6_k(op, q6_k_run(a, a2, hb, 1), d * <f32>load<i8>(sc, 2), x + 128, acc);
        acc = run_q6_k(op, q6_k_run(a, a2, hb, 2), d * <f32>load<i8>(sc, 4), x + 256, acc);
        acc = run_q6_k(op, q6_k_run(a, a2, hb, 3), d * <f32>load<i8>(sc, 6), x + 384, acc);
      }
    }
    pw += QK6_K_BYTES; p += 1024;
  }
  return hsum(acc);
}

// one W row at pw of type t, nb blocks: DOT returns dot(deq(row), x at p); DEQ writes deq(row) to p
// @ts-ignore: decorator
@inline function row(t: i32, op: i32, pw: usize, p: usize, nb: i32): f32 {
  if (is32(t)) return row32(t, op, pw, p, nb);
  if (t == Q4_K) return row_q4_k(op, pw, p, nb);
  return row_q6_k(op, pw, p, nb);
}

// ---------------------------------------------------------------- one row: integer dot with Q8A x

// i32x4 partial sums of w[i] * x[i], i < 16: w, x signed i8x16 (exact: |w x| <= 2^14)
// @ts-ignore: decorator
@inline function idot16(w: v128, x: v128): v128 {
  return i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), i16x8.extend_low_i8x16_s(x)),
    i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), i16x8.extend_high_i8x16_s(x)));
}

// ---- the relaxed build's integer dot (4-, 5- and 6-bit weights only)
// i16x8.relaxed_dot_i8x16_i7x16_s(x, u) gives pair sums x[2j] u[2j] + x[2j+1] u[2j+1] with x
// signed and u's bytes read as signed or unsigned (x86: pmaddubsw, u the unsigned operand, pairs
// saturated; ARM: sdot or smull/saddlp). With every byte of u in [0, 127] both readings agree and
// no pair can saturate (|pair| <= 2 * 128 * 127 < 2^15), so the result is exact and the same on
// every engine. The weights' unsigned quants (nibbles 0..15, Q5_0's 0..31, Q6_K's 0..63) go in
// u and the offset (8, 16, 32) is taken off afterwards from x's pair sums:
//   sum (u - o) x = sum u x - o sum x, per i16 pair, exact in i16 (|o sum x| <= 32 * 256).
// Q8_0's quants are signed 8-bit on both sides, outside i7: Q8_0 keeps idot16 in both builds.
// The i32 lanes that feed f32 sums hold exactly the integers of idot16's lanes (Q4_0, Q5_0), or
// only their block total is used (Q4_K, Q6_K), so the relaxed build gives the simd build's bits.
const RELAXED_IDOT: bool = ASC_FEATURE_RELAXED_SIMD;

// i16x8 pair sums of (u - o) x over 16 bytes: u in [0, 127] (unsigned quants), o = 1 << sh
// (|.| <= 2 * 128 * 63 before the offset comes off)
// @ts-ignore: decorator
@inline function rdot16(x: v128, u: v128, sh: i32): v128 {
  return i16x8.sub(i16x8.relaxed_dot_i8x16_i7x16_s(x, u), i16x8.shl(i16x8.extadd_pairwise_i8x16_s(x), sh));
}

// Q4_0, Q5_0 block: the stored quants of values 0..15 (half 0) or 16..31 (half 1), 0..31
// @ts-ignore: decorator
@inline function run32u(t: i32, pw: usize, half: i32): v128 {
  if (t == Q5_0) return half == 0 ? q5_0_lo_u(pw) : q5_0_hi_u(pw);
  const v = v128.load(pw + 2);
  return half == 0 ? v128.and(v, i8x16.splat(15)) : i8x16.shr_u(v, 4);
}

// the offset pair sums o * (x[2j] + x[2j+1]) of a 32-value block's two halves x0, x1 added
// (o = 8 for Q4_0, 16 for Q5_0; |.| <= 16 * 4 * 128 = 8192): shared by every W row of a block
// @ts-ignore: decorator
@inline function roff32(t: i32, x0: v128, x1: v128): v128 {
  return i16x8.shl(i16x8.add(i16x8.extadd_pairwise_i8x16_s(x0), i16x8.extadd_pairwise_i8x16_s(x1)), t == Q4_0 ? 3 : 4);
}

// One block of x, prepared once for all the W rows that read it (e0..e3, by build and type):
//   relaxed build, Q4_0 / Q5_0: the quants x0, x1 of the two halves and roff32(x0, x1);
//   otherwise: the halves widened to i16x8, x0 low and high, x1 low and high (as idot16 widens).
// @ts-ignore: decorator
@inline function rel32(t: i32): bool { return RELAXED_IDOT && t != Q8_0; }

// acc + f32(sumi) * d for the Q8_0 / Q4_0 / Q5_0 block at pw . the x block e0..e3, d the f32x4
// splat of d_w * dx, sumi as idot16's i32x4 lanes: lane k sums values 2k, 2k + 1, 2k + 8, 2k + 9
// of both halves. Relaxed (Q4_0, Q5_0): the halves' pair sums add in i16 (|.| <= 2 * 2 * 128 * 31
// before the offset comes off; wrapping arithmetic, the exact result within 8192), then pairs k
// and k + 4 widen and add. Otherwise: idot16's dot_i16x8_s on the widened halves.
// @ts-ignore: decorator
@inline function step32(t: i32, pw: usize, e0: v128, e1: v128, e2: v128, e3: v128, d: v128, acc: v128): v128 {
  let s: v128;
  if (RELAXED_IDOT && t != Q8_0) { // rel32(t), spelled out: the simd build must not see the relaxed op
    const u = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(e0, run32u(t, pw, 0)), i16x8.relaxed_dot_i8x16_i7x16_s(e1, run32u(t, pw, 1)));
    const p = i16x8.sub(u, e2);
    s = i32x4.add(i32x4.extend_low_i16x8_s(p), i32x4.extend_high_i16x8_s(p));
  } else {
    const w0 = run32(t, pw, 0), w1 = run32(t, pw, 1);
    s = i32x4.add(i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w0), e0), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w0), e1)),
      i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w1), e2), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w1), e3)));
  }
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s), d));
}

// Q8_0, Q4_0, Q5_0: S W rows (S <= 4, a literal; at pw, pw + ws, pw + 2 ws, ...) . Q8A x (scales
// at pd, quants at pq) at once, sharing each block's x loads and preparation; for S > 1 the S f16
// scales widen at once (f16x4_to_f32x4, exact as f16_to_f32). y of row s at py + s ys. Each row
// has its own accumulator and the same sums in the same order whatever S, ws and ys.
// @ts-ignore: decorator
@inline function rows32_q8(t: i32, S: i32, pw: usize, ws: usize, pd: usize, pq: usize, nb: i32, py: usize, ys: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const x0 = v128.load(pq), x1 = v128.load(pq, 16);
    const e0 = rel32(t) ? x0 : i16x8.extend_low_i8x16_s(x0), e1 = rel32(t) ? x1 : i16x8.extend_high_i8x16_s(x0);
    const e2 = rel32(t) ? roff32(t, x0, x1) : i16x8.extend_low_i8x16_s(x1), e3 = rel32(t) ? x1 : i16x8.extend_high_i8x16_s(x1);
    if (S == 1) {
      a0 = step32(t, pw, e0, e1, e2, e3, f32x4.splat(f16_to_f32(load<u16>(pw)) * load<f32>(pd)), a0);
    } else {
      let h = i32x4.replace_lane(i32x4.splat(load<u16>(pw)), 1, load<u16>(pw + ws));
      if (S > 2) h = i32x4.replace_lane(h, 2, load<u16>(pw + 2 * ws));
      if (S > 3) h = i32x4.replace_lane(h, 3, load<u16>(pw + 3 * ws));
      const d = f32x4.mul(f16x4_to_f32x4(h), f32x4.splat(load<f32>(pd))); // lane s: row s's d_w * dx
      a0 = step32(t, pw, e0, e1, e2, e3, i32x4.shuffle(d, d, 0, 0, 0, 0), a0);
      a1 = step32(t, pw + ws, e0, e1, e2, e3, i32x4.shuffle(d, d, 1, 1, 1, 1), a1);
      if (S > 2) a2 = step32(t, pw + 2 * ws, e0, e1, e2, e3, i32x4.shuffle(d, d, 2, 2, 2, 2), a2);
      if (S > 3) a3 = step32(t, pw + 3 * ws, e0, e1, e2, e3, i32x4.shuffle(d, d, 3, 3, 3, 3), a3);
    }
    pw += blockBytes(t); pd += 4; pq += 32;
  }
  store<f32>(py, hsum(a0));
  if (S > 1) store<f32>(py + ys, hsum(a1));
  if (S > 2) store<f32>(py + 2 * ys, hsum(a2));
  if (S > 3) store<f32>(py + 3 * ys, hsum(a3));
}

// acc + i32x4 partial sums of x[i] * u[i], i < 16: x signed i8x16, u i8x16 in [0, 127] (simd build)
// @ts-ignore: decorator
@inline function udot16(x: v128, u: v128, acc: v128): v128 {
  return i32x4.add(acc, idot16(u, x));
}

// v[0] + v[1] + v[2] + v[3] of an i32x4
// @ts-ignore: decorator
@inline function hsum_i32(v: v128): i32 {
  const s = i32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1);
}

// Q4_K block at pw . Q8KA x block (quants at pq): isum = sum_j sc_j * (w_j . x_j) over its 8
// sub-blocks j, exact in i32. The 12 scale bytes decode four sub-blocks at a time in u32 lanes
// (q4_k_scale_min's fields): scales of sub-blocks 0-3 in sc03, 4-7 in sc47, one byte each.
// @ts-ignore: decorator
@inline function isum_q4_k(pw: usize, pq: usize): i32 {
  let isum = i32x4.splat(0);
  const m4 = i8x16.splat(15);
  const u0 = load<u32>(pw, 4), u2 = load<u32>(pw, 12);
  const sc03 = u0 & 0x3f3f3f3f, sc47 = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
  for (let c = 0; c < 4; c++) {
    const v0 = v128.load(pw + 16 + 32 * c), v1 = v128.load(pw + 32 + 32 * c);
    const sc = (c < 2 ? sc03 : sc47) >> (<u32>(c & 1) << 4); // sub-blocks 2c, 2c + 1: bytes 2(c & 1), 2(c & 1) + 1
    const s0 = sc & 255, s1 = (sc >> 8) & 255;
    const x = pq + 64 * c;
    if (RELAXED_IDOT) { // pair sums of the 32 products (|.| <= 2 * 2 * 128 * 15), then times the 6-bit scale
      const lo = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(x), v128.and(v0, m4)), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(x, 16), v128.and(v1, m4)));
      const hi = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(x, 32), i8x16.shr_u(v0, 4)), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(x, 48), i8x16.shr_u(v1, 4)));
      isum = i32x4.add(isum, i32x4.add(i32x4.dot_i16x8_s(lo, i16x8.splat(<i16>s0)), i32x4.dot_i16x8_s(hi, i16x8.splat(<i16>s1))));
    } else {
      const lo = udot16(v128.load(x, 16), v128.and(v1, m4), udot16(v128.load(x), v128.and(v0, m4), i32x4.splat(0)));
      const hi = udot16(v128.load(x, 48), i8x16.shr_u(v1, 4), udot16(v128.load(x, 32), i8x16.shr_u(v0, 4), i32x4.splat(0)));
      isum = i32x4.add(isum, i32x4.add(i32x4.mul(lo, i32x4.splat(s0)), i32x4.mul(hi, i32x4.splat(s1))));
    }
  }
  return hsum_i32(isum);
}

// Q4_K block at pw . Q8KA x block's 32-sums at ps: msum = sum_j m_j * s32_j, exact in i32
// (mins of sub-blocks 0-3 in mn03, 4-7 in mn47)
// @ts-ignore: decorator
@inline function msum_q4_k(pw: usize, ps: usize): i32 {
  const u1 = load<u32>(pw, 8), u2 = load<u32>(pw, 12);
  const mn03 = u1 & 0x3f3f3f3f, mn47 = ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4);
  // the 8 mins widened to i32 lanes (0-3, 4-7) times the 8 sums in SIMD; exact in i32, so the
  // order does not matter (measured, kernel alone: 1.12x / 1.15x on Q4_K, relaxed / simd build)
  const m8 = i16x8.extend_low_i8x16_u(i32x4.replace_lane(i32x4.splat(mn03), 1, mn47));
  const v = i32x4.add(i32x4.mul(i32x4.extend_low_i16x8_u(m8), v128.load(ps)), i32x4.mul(i32x4.extend_high_i16x8_u(m8), v128.load(ps, 16)));
  return hsum_i32(v);
}

// Q6_K block at pw . Q8KA x block (quants at pq): isum over sub-blocks of 16 with i8 scales, exact in i32
// @ts-ignore: decorator
@inline function isum_q6_k(pw: usize, pq: usize): i32 {
  let isum = i32x4.splat(0);
  for (let h = 0; h < 2; h++) {
    for (let l0 = 0; l0 < 32; l0 += 16) {
      const ql = pw + 64 * h + l0, qh = pw + 128 + 32 * h + l0, sc = pw + 192 + 8 * h + (l0 >> 4);
      const x = pq + 128 * h + l0;
      const a = v128.load(ql), a2 = v128.load(ql, 32), hb = v128.load(qh);
      if (RELAXED_IDOT) { // per run: pair sums of (q - 32) x (|.| <= 2 * 32 * 128), times the i8 scale
        isum = i32x4.add(isum, i32x4.dot_i16x8_s(rdot16(v128.load(x), q6_k_run_u(a, a2, hb, 0), 5), i16x8.splat(load<i8>(sc))));
        isum = i32x4.add(isum, i32x4.dot_i16x8_s(rdot16(v128.load(x, 32), q6_k_run_u(a, a2, hb, 1), 5), i16x8.splat(load<i8>(sc, 2))));
        isum = i32x4.add(isum, i32x4.dot_i16x8_s(rdot16(v128.load(x, 64), q6_k_run_u(a, a2, hb, 2), 5), i16x8.splat(load<i8>(sc, 4))));
        isum = i32x4.add(isum, i32x4.dot_i16x8_s(rdot16(v128.load(x, 96), q6_k_run_u(a, a2, hb, 3), 5), i16x8.splat(load<i8>(sc, 6))));
      } else {
        isum = i32x4.add(isum, i32x4.mul(idot16(q6_k_run(a, a2, hb, 0), v128.load(x)), i32x4.splat(load<i8>(sc))));
        isum = i32x4.add(isum, i32x4.mul(idot16(q6_k_run(a, a2, hb, 1), v128.load(x, 32)), i32x4.splat(load<i8>(sc, 2))));
        isum = i32x4.add(isum, i32x4.mul(idot16(q6_k_run(a, a2, hb, 2), v128.load(x, 64)), i32x4.splat(load<i8>(sc, 4))));
        isum = i32x4.add(isum, i32x4.mul(idot16(q6_k_run(a, a2, hb, 3), v128.load(x, 96)), i32x4.splat(load<i8>(sc, 6))));
      }
    }
  }
  return hsum_i32(isum);
}

// acc + f32(isum) * (dx d_w) for the Q4_K / Q6_K block at pw (x block at pq, scale dx)
// @ts-ignore: decorator
@inline function kstep(t: i32, pw: usize, pq: usize, dx: f32, acc: f32): f32 {
  if (t == Q4_K) return acc + <f32>isum_q4_k(pw, pq) * (dx * f16_to_f32(load<u16>(pw)));
  return acc + <f32>isum_q6_k(pw, pq) * (dx * f16_to_f32(load<u16>(pw, 208)));
}

// accm + f32(msum) * (dx dmin_w) for the Q4_K block at pw (x block's 32-sums at ps, scale dx)
// @ts-ignore: decorator
@inline function kmin(pw: usize, ps: usize, dx: f32, accm: f32): f32 {
  return accm + <f32>msum_q4_k(pw, ps) * (dx * f16_to_f32(load<u16>(pw, 2)));
}

// Q4_K, Q6_K W row at pw (nb blocks) . Q8KA x (scales at pd, 32-sums at ps, quants at pq):
// acc (and Q4_K's accm) summed over blocks in order, y = acc - accm
// @ts-ignore: decorator
@inline function rowK_q8(t: i32, pw: usize, pd: usize, ps: usize, pq: usize, nb: i32): f32 {
  let acc: f32 = 0, accm: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const dx = load<f32>(pd);
    acc = kstep(t, pw, pq, dx, acc);
    if (t == Q4_K) accm = kmin(pw, ps, dx, accm);
    pw += blockBytes(t); pd += 4; ps += 32; pq += 256;
  }
  return t == Q4_K ? acc - accm : acc;
}

// ---------------------------------------------------------------- far-apart streams
// The integer-dot gemvs read S W rows at a time, taken far apart: with n = r1 - r0 and
// Q = floor(n / S), step i < Q reads rows r0 + i + s Q (s < S), so stream s walks its own
// contiguous slice [r0 + s Q, r0 + (s + 1) Q) of W from one end to the other while the x loads
// are shared. Rows are short (576 or 1536 values, a few hundred bytes quantized): S CONSECUTIVE
// rows make S short streams that start cold at every group, where S long walks keep the hardware
// prefetchers busy (the lead's f32 experiment on the SmolLM2-135M decode stream: ~55 % of the read
// probe with consecutive rows, ~100 % with far-apart ones). The n - S Q rows left over run one at
// a time. Every row has its own accumulators and sums in the same order whatever S, Q, r0 and r1,
// so a row's bits do not depend on how [r0, r1) is split across threads.
// Streams for Q8_0, Q4_0, Q5_0 (S <= 4: accumulators + live loads <= 15 xmm, see matmul.ts) measured on the decode
// stream of a SmolLM2-135M-shaped model (bench/qdecode-stream.ts, old kernels against these in one
// process, process CPU time, median of 15 rounds, a loaded machine; relaxed / simd build):
//   Q8_0 (the q8_0 model's 143 MB; before: one row at a time): S 2: 1.07 / 1.07, 3: 1.23 / 1.24,
//        4: 1.29 / 1.37 (the old note here measured four CONSECUTIVE rows 2x slower on the head)
//   Q5_0 (54 MB of the Q4_K_M model; before: four consecutive rows): 1 row: 1.19 / 1.15,
//        S 2: 1.23 / 1.11, 3: 1.31 / 1.18, 4: 1.35 / 1.19
//   Q4_K, Q6_K (8 and 10 MB, rows of 1536): S 1 to 4 all within 0.95-1.06 of one row at a time:
//        compute-bound (1.2-2.9 GB/s against a read probe of 8-12), so they stay one row at a time.
// Where a decode token goes (session of 2026-11-30, node --cpu-prof over 200 tokens decoded after a
// 512-token prompt, 1 thread, relaxed build, loaded machine; shares of the decode-only functions):
//   Q4_K_M model (103.5 MB: Q5_0 53.7, output head Q8_0 31.7, Q6_K 10.2, Q4_K 8.0): gemv_q5_0_q8_0
//   43 %, attn_decode_f32 (512 f32 cached rows) 19 %, the Q8_0 head 14 %, gemv_q6_k_q8_k 10 %,
//   gemv_q4_k_q8_k 7 %, the rest (norms, rope, silu, activation quantization, KV writes, sampling) ~7 %.
//   Q8_0 model (142.9 MB): gemv_q8_0_q8_0 ~75 %, attn_decode_f32 ~20 %.
// Each gemv alone (bench/qdecode-stream.ts --passes 10, 9 rounds, GB/s of weights against the read
// probe probe_sum_f32 in the same rounds; relaxed / simd build): Q5_0 3.0 of 8.4 / 1.9 of 6.6 (the
// fifth-bit unpack is the cost: the shuffle/and/eq form measured 0.82x / 0.91x the table, byte-indexed
// table loads 0.97x / 1.02x, neither kept); Q8_0 head 3.8-4.1 of 4.4 / 3.5-4.2 of 9.1; Q8_0 model
// 4.4 of 7.1 / 4.5 of 7.8; Q6_K 2.3 of 9.1 / 1.6 of 10.0; Q4_K 3.6 of 11.8 / 1.3 of 8.6.
// Q4_K's mins in SIMD (msum_q4_k) measured 1.12x / 1.15x wall (1.19x / 1.12x CPU time) on the Q4_K
// matrices alone (--passes 20, 11 rounds, same bits); splatting Q4_K's sub-block scales by shuffles of
// one widened vector instead of from scalars measured 0.98x / 0.73x of that, and reducing isum with
// msum in one hsum with d, dmin widened together 0.82x / 1.03x of it (--passes 20): neither kept.
const Q8_STREAMS: i32 = 4;

// gemv with Q8A x: y[r] = W[r] . x, r in [r0, r1)
// @ts-ignore: decorator
@inline function gemvQ8(t: i32, W: usize, xq: usize, y: usize, n_in: i32, r0: i32, r1: i32): void {
  const nb = n_in >> blockShift(t), rb = <usize>nb * blockBytes(t);
  const pq = xq + (<usize>(n_in >> 5) << 2);
  const S = Q8_STREAMS, Q = (r1 - r0) / S, ws = <usize>Q * rb, ys = <usize>Q << 2;
  for (let r = r0; r < r0 + Q; r++) rows32_q8(t, S, W + <usize>r * rb, ws, xq, pq, nb, y + (<usize>r << 2), ys);
  for (let r = r0 + S * Q; r < r1; r++) rows32_q8(t, 1, W + <usize>r * rb, 0, xq, pq, nb, y + (<usize>r << 2), 0);
}

// gemv with Q8KA x: y[r] = W[r] . x, r in [r0, r1), one row at a time (compute-bound, see above)
// @ts-ignore: decorator
@inline function gemvQ8K(t: i32, W: usize, xq: usize, y: usize, n_in: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 8, rb = <usize>nb * blockBytes(t);
  const ps = xq + (<usize>nb << 2), pq = ps + (<usize>(n_in >> 5) << 2);
  for (let r = r0; r < r1; r++) store<f32>(y + (<usize>r << 2), rowK_q8(t, W + <usize>r * rb, xq, ps, pq, nb));
}

// ---------------------------------------------------------------- gemm on a decoded panel

// Y[i, c + k] = dot(X[i], S[k]) for i < m, k < p: S holds p decoded W rows (p <= GEMM_PANEL).
// The f32 gemm's register tiles do the work: it addresses W row j at W + j * n_in floats, so
// passing S - c rows makes panel row k stand for W row c + k (wasm32 addresses wrap, and only
// rows c .. c + p - 1 are read).
// @ts-ignore: decorator
@inline function gemm_panel(X: usize, S: usize, Y: usize, m: i32, n_in: i32, n_out: i32, c: i32, p: i32): void {
  gemm_f32_dot(X, S - <usize>c * (<usize>n_in << 2), Y, m, n_in, n_out, c, c + p);
}

// ---------------------------------------------------------------- the three kernels, once

// gemv: y[r] = dot(deq(W[r]), x), r in [r0, r1)
// @ts-ignore: decorator
@inline function gemv(t: i32, W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void {
  const nb = n_in >> blockShift(t), rb = <usize>nb * blockBytes(t);
  for (let r = r0; r < r1; r++) store<f32>(y + (<usize>r << 2), row(t, DOT, W + <usize>r * rb, x, nb));
}

// gemm: Y[i, c] = dot(X[i], deq(W[c])), c in [n0, n1): m < GEMM_PACK_MIN_M (or n_in = 0) takes
// gemmPanels, else gemmPacked
// @ts-ignore: decorator
@inline function gemm(t: i32, X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void {
  if (m < GEMM_PACK_MIN_M || n_in == 0) gemmPanels(t, X, W, Y, S, m, n_in, n_out, n0, n1);
  else gemmPacked(t, X, 0, W, Y, S, m, n_in, n_out, n0, n1);
}

// a panel of GEMM_PANEL W rows at a time decoded row-major into S, then the f32 dot-product gemm
// @ts-ignore: decorator
@inline function gemmPanels(t: i32, X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void {
  const nb = n_in >> blockShift(t), rb = <usize>nb * blockBytes(t);
  for (let c = n0; c < n1; c += GEMM_PANEL) {
    const p = min(GEMM_PANEL, n1 - c);
    for (let k = 0; k < p; k++) row(t, DEQ, W + <usize>(c + k) * rb, S + <usize>k * (<usize>n_in << 2), nb);
    gemm_panel(X, S, Y, m, n_in, n_out, c, p);
  }
}

// 4 rows a..d of 4 consecutive k (f32x4 each), row r scaled by lane r of D: k step i of
// (a, b, c, d) * D at o + 32 i (4 columns of a packed panel); each value q * d rounded once, as deq16
// @ts-ignore: decorator
@inline function trScale4(a: v128, b: v128, c: v128, d: v128, D: v128, o: usize): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5), t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(o, f32x4.mul(i32x4.shuffle(t0, t2, 0, 1, 4, 5), D));
  v128.store(o, f32x4.mul(i32x4.shuffle(t0, t2, 2, 3, 6, 7), D), 32);
  v128.store(o, f32x4.mul(i32x4.shuffle(t1, t3, 0, 1, 4, 5), D), 64);
  v128.store(o, f32x4.mul(i32x4.shuffle(t1, t3, 2, 3, 6, 7), D), 96);
}

// Q8_0, Q4_0, Q5_0: a full panel of 8 W rows (row c at pw + c rb), nbk blocks, decoded straight
// into the packed panel SW (nbk * 32, 8): per block, 4 rows at a time, their 4 f16 scales widened
// at once (f16x4_to_f32x4, exact as f16_to_f32) and each run of 16 quants transposed 4 k at a time.
// The same values as row(t, DEQ, ...) then packW (deq16 rounds q * d once, adds -0).
// @ts-ignore: decorator
@inline function panel32(t: i32, pw: usize, rb: usize, nbk: i32, SW: usize): void {
  for (let g = 0; g < 2; g++) {
    let p = pw + <usize>(4 * g) * rb, o = SW + (<usize>g << 4);
    for (let b = 0; b < nbk; b++) {
      let h = i32x4.replace_lane(i32x4.splat(load<u16>(p)), 1, load<u16>(p + rb));
      h = i32x4.replace_lane(h, 2, load<u16>(p + 2 * rb));
      h = i32x4.replace_lane(h, 3, load<u16>(p + 3 * rb));
      const D = f16x4_to_f32x4(h);
      for (let half = 0; half < 2; half++) {
        const q0 = run32(t, p, half), q1 = run32(t, p + rb, half), q2 = run32(t, p + 2 * rb, half), q3 = run32(t, p + 3 * rb, half);
        const oh = o + (<usize>half << 9); // 16 k steps of 32 bytes
        trScale4(lanes0(q0), lanes0(q1), lanes0(q2), lanes0(q3), D, oh);
        trScale4(lanes4(q0), lanes4(q1), lanes4(q2), lanes4(q3), D, oh + 128);
        trScale4(lanes8(q0), lanes8(q1), lanes8(q2), lanes8(q3), D, oh + 256);
        trScale4(lanes12(q0), lanes12(q1), lanes12(q2), lanes12(q3), D, oh + 384);
      }
      p += blockBytes(t); o += 1024; // 32 k steps
    }
  }
}

// The packed outer-product gemm of matmul.ts (gemm_f32's loops, its tiles) with each W panel
// decoded instead of copied: per k block of kc values (whole quant blocks, <= PKC), the X block
// is packed once (packX) and each panel of 8 W rows is decoded into SD (8, kc) row-major, then
// transposed into the packed panel SW (kc, 8) the tiles read (packW). Every output is one f32x4
// lane summed over k in order (as gemm_f32), so [n0, n1) and the thread split do not change the bits.
// S: SW (PKC x 8) | T (8 x 8) | SD (8 x PKC) | SX (min(m + PMR - 1, PMC) x PKC) floats
// PX: 0, or X packed whole by pack_x (align: the quant block), read instead of packing X (X = 0)
// @ts-ignore: decorator
@inline function gemmPacked(t: i32, X: usize, PX: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void {
  const sh = blockShift(t), rb = <usize>(n_in >> sh) * blockBytes(t);
  const rs = <usize>n_in << 2, ys = <usize>n_out << 2;
  const mc = PX ? m : PMC - PMC % PMR;
  const SW = S, T = SW + (<usize>(PKC * 8) << 2), SD = T + (<usize>64 << 2), SX = SD + (<usize>(PKC * 8) << 2);
  const kb = packedKBlock(n_in, 1 << sh);
  for (let k0 = 0; k0 < n_in; k0 += kb) {
    const kc = min(kb, n_in - k0), first = k0 == 0;
    const wk = <usize>(k0 >> sh) * blockBytes(t), ds = <usize>kc << 2;
    for (let ib = 0; ib < m; ib += mc) {
      const ie = min(ib + mc, m);
      const xb = PX ? packedXBlock(PX, m, k0) : SX;
      if (!PX) packX(X, rs, SX, ib, ie, k0, kc);
      for (let j = n0; j < n1; j += 8) {
        const nc = min(8, n1 - j);
        if (is32(t) && nc == 8) panel32(t, W + <usize>j * rb + wk, rb, kc >> sh, SW);
        else {
          for (let c = 0; c < nc; c++) row(t, DEQ, W + <usize>(j + c) * rb + wk, SD + <usize>c * ds, kc >> sh);
          packW(SD, ds, SW, 0, nc, 0, kc);
        }
        packedPanel(xb, SW, T, Y, ys, ib, ie, j, nc, kc, first);
      }
    }
  }
}

// dequant_rows: dst[r - r0] = deq(W[r]), r in [r0, r1)
// @ts-ignore: decorator
@inline function dequantRows(t: i32, W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void {
  const nb = n_in >> blockShift(t), rb = <usize>nb * blockBytes(t);
  for (let r = r0; r < r1; r++) row(t, DEQ, W + <usize>r * rb, dst + <usize>(r - r0) * (<usize>n_in << 2), nb);
}

// ---------------------------------------------------------------- exported kernels, per type

export function gemv_q8_0(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemv(Q8_0, W, x, y, n_in, r0, r1); }
export function gemv_q4_0(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemv(Q4_0, W, x, y, n_in, r0, r1); }
export function gemv_q4_k(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemv(Q4_K, W, x, y, n_in, r0, r1); }
export function gemv_q6_k(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemv(Q6_K, W, x, y, n_in, r0, r1); }
export function gemv_q5_0(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemv(Q5_0, W, x, y, n_in, r0, r1); }

export function gemv_q8_0_q8_0(W: usize, xq: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemvQ8(Q8_0, W, xq, y, n_in, r0, r1); }
export function gemv_q4_0_q8_0(W: usize, xq: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemvQ8(Q4_0, W, xq, y, n_in, r0, r1); }
export function gemv_q5_0_q8_0(W: usize, xq: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemvQ8(Q5_0, W, xq, y, n_in, r0, r1); }

export function gemv_q4_k_q8_k(W: usize, xq: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemvQ8K(Q4_K, W, xq, y, n_in, r0, r1); }
export function gemv_q6_k_q8_k(W: usize, xq: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemvQ8K(Q6_K, W, xq, y, n_in, r0, r1); }

export function gemm_q8_0(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemm(Q8_0, X, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q4_0(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemm(Q4_0, X, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q4_k(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemm(Q4_K, X, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q6_k(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemm(Q6_K, X, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q5_0(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemm(Q5_0, X, W, Y, S, m, n_in, n_out, n0, n1); }

// gemm_<t>_px: gemm_<t> for m >= GEMM_PACK_MIN_M with X already packed whole in PX by pack_x
// (align: the quant block, 32 or 256); PX is only read, so the threads of a split share it. Same bits.
export function gemm_q8_0_px(PX: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemmPacked(Q8_0, 0, PX, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q4_0_px(PX: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemmPacked(Q4_0, 0, PX, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q4_k_px(PX: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemmPacked(Q4_K, 0, PX, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q6_k_px(PX: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemmPacked(Q6_K, 0, PX, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q5_0_px(PX: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemmPacked(Q5_0, 0, PX, W, Y, S, m, n_in, n_out, n0, n1); }

export function dequant_rows_q8_0(W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void { dequantRows(Q8_0, W, dst, n_in, r0, r1); }
export function dequant_rows_q4_0(W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void { dequantRows(Q4_0, W, dst, n_in, r0, r1); }
export function dequant_rows_q4_k(W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void { dequantRows(Q4_K, W, dst, n_in, r0, r1); }
export function dequant_rows_q6_k(W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void { dequantRows(Q6_K, W, dst, n_in, r0, r1); }
export function dequant_rows_q5_0(W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void { dequantRows(Q5_0, W, dst, n_in, r0, r1); }
