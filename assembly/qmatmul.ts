// Matrix-vector and matrix-matrix products with GGUF-quantized weights and f32 activations.
// W (n_out, n_in) stored row after row, each row n_in / block blocks (q8_0, q4_0: 32 values;
// q4_k, q6_k: 256); n_in is a multiple of the block. The weights stay quantized: the gemv
// kernels decode each block in registers (qblocks.ts) and never write it out.
//   gemv_<t>(W, x, y, n_in, r0, r1)          y[r] = dot(deq(W[r]), x)      x (n_in), y (n_out); r in [r0, r1)
//   gemm_<t>(X, W, Y, S, m, n_in, n_out, n0, n1)
//                                            Y[i, c] = dot(X[i], deq(W[c])) X (m, n_in), Y (m, n_out); c in [n0, n1)
//       S: caller's f32 scratch of GEMM_PANEL * n_in floats; a panel of GEMM_PANEL W rows is
//       decoded into it once and multiplied by all m rows of X with the f32 gemm (matmul.ts).
//   dequant_rows_<t>(W, dst, n_in, r0, r1)   dst[r - r0] = deq(W[r])       dst (r1 - r0, n_in); r in [r0, r1)
//       bit-exact with ggml's dequantize_row_* (products rounded before the min is subtracted).
import { fmadd, hsum } from "./simd";
import { QK4_0_BYTES, QK4_K_BYTES, QK6_K_BYTES, QK8_0_BYTES, deq16, dot16, f16_to_f32, q4_0_hi, q4_0_lo, q4_k_scale_min, q6_k_run, sum16 } from "./qblocks";
import { gemm_f32 } from "./matmul";

const GEMM_PANEL: i32 = 32; // W rows per decoded panel (the f32 gemm's NC); src/wasm/ops/qmatmul.ts QGEMM_PANEL

// ---------------------------------------------------------------- one row: dot and decode

// @ts-ignore: decorator
@inline function dot_q8_0(pw: usize, px: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const s = f32x4.add(dot16(v128.load(pw, 2), px), dot16(v128.load(pw, 18), px + 64));
    acc = fmadd(s, f32x4.splat(f16_to_f32(load<u16>(pw))), acc);
    pw += QK8_0_BYTES; px += 128;
  }
  return hsum(acc);
}

// @ts-ignore: decorator
@inline function deq_q8_0(pw: usize, dst: usize, nb: i32): void {
  const z = f32x4.splat(-0.0); // x + -0 = x, signed zeros included
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(f16_to_f32(load<u16>(pw)));
    deq16(v128.load(pw, 2), d, z, dst);
    deq16(v128.load(pw, 18), d, z, dst + 64);
    pw += QK8_0_BYTES; dst += 128;
  }
}

// @ts-ignore: decorator
@inline function dot_q4_0(pw: usize, px: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const s = f32x4.add(dot16(q4_0_lo(pw + 2), px), dot16(q4_0_hi(pw + 2), px + 64));
    acc = fmadd(s, f32x4.splat(f16_to_f32(load<u16>(pw))), acc);
    pw += QK4_0_BYTES; px += 128;
  }
  return hsum(acc);
}

// @ts-ignore: decorator
@inline function deq_q4_0(pw: usize, dst: usize, nb: i32): void {
  const z = f32x4.splat(-0.0);
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(f16_to_f32(load<u16>(pw)));
    deq16(q4_0_lo(pw + 2), d, z, dst);
    deq16(q4_0_hi(pw + 2), d, z, dst + 64);
    pw += QK4_0_BYTES; dst += 128;
  }
}

// Q4_K: value = d*sc * q - dmin*m, so a sub-block adds d*sc * sum(q x) - dmin*m * sum(x).
// Chunk c holds sub-blocks 2c (low nibbles of qs[32c..32c+31]) and 2c+1 (high nibbles).
// @ts-ignore: decorator
@inline function dot_q4_k(pw: usize, px: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  const m4 = i8x16.splat(15);
  for (let b = 0; b < nb; b++) {
    const d = f16_to_f32(load<u16>(pw)), dmin = f16_to_f32(load<u16>(pw, 2));
    for (let c = 0; c < 4; c++) {
      const v0 = v128.load(pw + 16 + 32 * c), v1 = v128.load(pw + 32 + 32 * c);
      const sm0 = q4_k_scale_min(pw + 4, 2 * c), sm1 = q4_k_scale_min(pw + 4, 2 * c + 1);
      const qa = f32x4.add(dot16(v128.and(v0, m4), px), dot16(v128.and(v1, m4), px + 64));
      const qb = f32x4.add(dot16(i8x16.shr_u(v0, 4), px + 128), dot16(i8x16.shr_u(v1, 4), px + 192));
      const xs = f32x4.add(f32x4.mul(f32x4.add(sum16(px), sum16(px + 64)), f32x4.splat(dmin * <f32>(sm0 >> 8))),
        f32x4.mul(f32x4.add(sum16(px + 128), sum16(px + 192)), f32x4.splat(dmin * <f32>(sm1 >> 8))));
      acc = fmadd(qa, f32x4.splat(d * <f32>(sm0 & 255)), acc);
      acc = fmadd(qb, f32x4.splat(d * <f32>(sm1 & 255)), f32x4.sub(acc, xs));
      px += 256;
    }
    pw += QK4_K_BYTES;
  }
  return hsum(acc);
}

// @ts-ignore: decorator
@inline function deq_q4_k(pw: usize, dst: usize, nb: i32): void {
  const m4 = i8x16.splat(15);
  for (let b = 0; b < nb; b++) {
    const d = f16_to_f32(load<u16>(pw)), dmin = f16_to_f32(load<u16>(pw, 2));
    for (let c = 0; c < 4; c++) {
      const v0 = v128.load(pw + 16 + 32 * c), v1 = v128.load(pw + 32 + 32 * c);
      const sm0 = q4_k_scale_min(pw + 4, 2 * c), sm1 = q4_k_scale_min(pw + 4, 2 * c + 1);
      const d0 = f32x4.splat(d * <f32>(sm0 & 255)), b0 = f32x4.splat(-(dmin * <f32>(sm0 >> 8)));
      const d1 = f32x4.splat(d * <f32>(sm1 & 255)), b1 = f32x4.splat(-(dmin * <f32>(sm1 >> 8)));
      deq16(v128.and(v0, m4), d0, b0, dst);
      deq16(v128.and(v1, m4), d0, b0, dst + 64);
      deq16(i8x16.shr_u(v0, 4), d1, b1, dst + 128);
      deq16(i8x16.shr_u(v1, 4), d1, b1, dst + 192);
      dst += 256;
    }
    pw += QK4_K_BYTES;
  }
}

// Q6_K: each run of 16 values has its own scale d*sc[k], k = run index in the super-block.
// @ts-ignore: decorator
@inline function dot_q6_k(pw: usize, px: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const d = f16_to_f32(load<u16>(pw, 208));
    for (let h = 0; h < 2; h++) {
      for (let l0 = 0; l0 < 32; l0 += 16) {
        const ql = pw + 64 * h + l0, qh = pw + 128 + 32 * h + l0, sc = pw + 192 + 8 * h + (l0 >> 4);
        const x = px + 512 * h + 4 * l0;
        const a = v128.load(ql), a2 = v128.load(ql, 32), hb = v128.load(qh);
        acc = fmadd(dot16(q6_k_run(a, a2, hb, 0), x), f32x4.splat(d * <f32>load<i8>(sc)), acc);
        acc = fmadd(dot16(q6_k_run(a, a2, hb, 1), x + 128), f32x4.splat(d * <f32>load<i8>(sc, 2)), acc);
        acc = fmadd(dot16(q6_k_run(a, a2, hb, 2), x + 256), f32x4.splat(d * <f32>load<i8>(sc, 4)), acc);
        acc = fmadd(dot16(q6_k_run(a, a2, hb, 3), x + 384), f32x4.splat(d * <f32>load<i8>(sc, 6)), acc);
      }
    }
    pw += QK6_K_BYTES; px += 1024;
  }
  return hsum(acc);
}

// @ts-ignore: decorator
@inline function deq_q6_k(pw: usize, dst: usize, nb: i32): void {
  const z = f32x4.splat(-0.0);
  for (let b = 0; b < nb; b++) {
    const d = f16_to_f32(load<u16>(pw, 208));
    for (let h = 0; h < 2; h++) {
      for (let l0 = 0; l0 < 32; l0 += 16) {
        const ql = pw + 64 * h + l0, qh = pw + 128 + 32 * h + l0, sc = pw + 192 + 8 * h + (l0 >> 4);
        const y = dst + 512 * h + 4 * l0;
        const a = v128.load(ql), a2 = v128.load(ql, 32), hb = v128.load(qh);
        deq16(q6_k_run(a, a2, hb, 0), f32x4.splat(d * <f32>load<i8>(sc)), z, y);
        deq16(q6_k_run(a, a2, hb, 1), f32x4.splat(d * <f32>load<i8>(sc, 2)), z, y + 128);
        deq16(q6_k_run(a, a2, hb, 2), f32x4.splat(d * <f32>load<i8>(sc, 4)), z, y + 256);
        deq16(q6_k_run(a, a2, hb, 3), f32x4.splat(d * <f32>load<i8>(sc, 6)), z, y + 384);
      }
    }
    pw += QK6_K_BYTES; dst += 1024;
  }
}

// ---------------------------------------------------------------- gemm on a decoded panel

// Y[i, c + k] = dot(X[i], S[k]) for i < m, k < p: S holds p decoded W rows (p <= GEMM_PANEL).
// The f32 gemm's register tiles do the work: it addresses W row j at W + j * n_in floats, so
// passing S - c rows makes panel row k stand for W row c + k (wasm32 addresses wrap, and only
// rows c .. c + p - 1 are read).
// @ts-ignore: decorator
@inline function gemm_panel(X: usize, S: usize, Y: usize, m: i32, n_in: i32, n_out: i32, c: i32, p: i32): void {
  gemm_f32(X, S - <usize>c * (<usize>n_in << 2), Y, m, n_in, n_out, c, c + p);
}

// ---------------------------------------------------------------- the type tag
// A weight type is a compile-time tag: every call site passes a literal, and the @inline
// templates below fold to that type's code (as matmul.ts's nrow), so each exported kernel is
// the hand-written loop of its type with no dispatch left at run time.
// A new block type: a tag, its BLOCK_VALUES / BLOCK_BYTES entries, its dot_/deq_ row functions
// in rowDot / rowDeq, and its three export lines at the bottom (plus the TS side:
// src/wasm/ops/qmatmul.ts Q_KERNEL_DTYPES, src/ref/qmatmul.ts).
const Q8_0: i32 = 0;
const Q4_0: i32 = 1;
const Q4_K: i32 = 2;
const Q6_K: i32 = 3;

// log2 of the values in a block of type t (q8_0, q4_0: 32; q4_k, q6_k: 256)
// @ts-ignore: decorator
@inline function blockShift(t: i32): i32 { return t == Q8_0 || t == Q4_0 ? 5 : 8; }

// bytes in a block of type t
// @ts-ignore: decorator
@inline function blockBytes(t: i32): usize {
  return t == Q8_0 ? QK8_0_BYTES : t == Q4_0 ? QK4_0_BYTES : t == Q4_K ? QK4_K_BYTES : QK6_K_BYTES;
}

// dot(deq(W row at pw), x at px) over nb blocks
// @ts-ignore: decorator
@inline function rowDot(t: i32, pw: usize, px: usize, nb: i32): f32 {
  if (t == Q8_0) return dot_q8_0(pw, px, nb);
  if (t == Q4_0) return dot_q4_0(pw, px, nb);
  if (t == Q4_K) return dot_q4_k(pw, px, nb);
  return dot_q6_k(pw, px, nb);
}

// dst = deq(W row at pw) over nb blocks
// @ts-ignore: decorator
@inline function rowDeq(t: i32, pw: usize, dst: usize, nb: i32): void {
  if (t == Q8_0) deq_q8_0(pw, dst, nb);
  else if (t == Q4_0) deq_q4_0(pw, dst, nb);
  else if (t == Q4_K) deq_q4_k(pw, dst, nb);
  else deq_q6_k(pw, dst, nb);
}

// ---------------------------------------------------------------- the three kernels, once

// gemv: y[r] = dot(deq(W[r]), x), r in [r0, r1)
// @ts-ignore: decorator
@inline function gemv(t: i32, W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void {
  const nb = n_in >> blockShift(t), rb = <usize>nb * blockBytes(t);
  for (let r = r0; r < r1; r++) store<f32>(y + (<usize>r << 2), rowDot(t, W + <usize>r * rb, x, nb));
}

// gemm: Y[i, c] = dot(X[i], deq(W[c])), c in [n0, n1), a panel of GEMM_PANEL W rows at a time
// @ts-ignore: decorator
@inline function gemm(t: i32, X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void {
  const nb = n_in >> blockShift(t), rb = <usize>nb * blockBytes(t);
  for (let c = n0; c < n1; c += GEMM_PANEL) {
    const p = min(GEMM_PANEL, n1 - c);
    for (let k = 0; k < p; k++) rowDeq(t, W + <usize>(c + k) * rb, S + <usize>k * (<usize>n_in << 2), nb);
    gemm_panel(X, S, Y, m, n_in, n_out, c, p);
  }
}

// dequant_rows: dst[r - r0] = deq(W[r]), r in [r0, r1)
// @ts-ignore: decorator
@inline function dequantRows(t: i32, W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void {
  const nb = n_in >> blockShift(t), rb = <usize>nb * blockBytes(t);
  for (let r = r0; r < r1; r++) rowDeq(t, W + <usize>r * rb, dst + <usize>(r - r0) * (<usize>n_in << 2), nb);
}

// ---------------------------------------------------------------- exported kernels, per type

export function gemv_q8_0(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemv(Q8_0, W, x, y, n_in, r0, r1); }
export function gemv_q4_0(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemv(Q4_0, W, x, y, n_in, r0, r1); }
export function gemv_q4_k(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemv(Q4_K, W, x, y, n_in, r0, r1); }
export function gemv_q6_k(W: usize, x: usize, y: usize, n_in: i32, r0: i32, r1: i32): void { gemv(Q6_K, W, x, y, n_in, r0, r1); }

export function gemm_q8_0(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemm(Q8_0, X, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q4_0(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemm(Q4_0, X, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q4_k(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemm(Q4_K, X, W, Y, S, m, n_in, n_out, n0, n1); }
export function gemm_q6_k(X: usize, W: usize, Y: usize, S: usize, m: i32, n_in: i32, n_out: i32, n0: i32, n1: i32): void { gemm(Q6_K, X, W, Y, S, m, n_in, n_out, n0, n1); }

export function dequant_rows_q8_0(W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void { dequantRows(Q8_0, W, dst, n_in, r0, r1); }
export function dequant_rows_q4_0(W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void { dequantRows(Q4_0, W, dst, n_in, r0, r1); }
export function dequant_rows_q4_k(W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void { dequantRows(Q4_K, W, dst, n_in, r0, r1); }
export function dequant_rows_q6_k(W: usize, dst: usize, n_in: i32, r0: i32, r1: i32): void { dequantRows(Q6_K, W, dst, n_in, r0, r1); }
