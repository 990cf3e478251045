// Plain TypeScript references for assembly/qmatmul.ts: the test oracle and the fallback.
// Each decodes W rows with src/quant's dequantizeRow (bit-exact with ggml) and accumulates
// the dot products in float64. Arrays are whole buffers; W starts at row 0.
import { dequantizeRow } from "../quant/index.ts";
import { DTYPE_BLOCK, type DType } from "../wasm/dtype.ts";
import { f16ToF32 } from "../quant/half.ts";
import { scaleMin } from "../quant/kquants.ts";

const fr = Math.fround;

export function rowBytes(dtype: DType, n_in: number): number {
  const [block, bytes] = DTYPE_BLOCK[dtype];
  return (n_in / block) * bytes;
}

function row(dtype: DType, W: Uint8Array, r: number, n_in: number, out: Float32Array, at = 0): void {
  const rb = rowBytes(dtype, n_in);
  dequantizeRow(dtype, W.subarray(r * rb, (r + 1) * rb), n_in, out, at);
}

// y[r] = dot(deq(W[r]), x) for r in [r0, r1)          W (n_out, n_in) quantized, x (n_in), y (n_out)
export function gemv_q(dtype: DType, W: Uint8Array, x: Float32Array, y: Float32Array, n_in: number, r0: number, r1: number): void {
  const w = new Float32Array(n_in);
  for (let r = r0; r < r1; r++) {
    row(dtype, W, r, n_in, w);
    let s = 0;
    for (let k = 0; k < n_in; k++) s += w[k] * x[k];
    y[r] = s;
  }
}

// Y[i, c] = dot(X[i], deq(W[c])) for i < m, c in [n0, n1)   X (m, n_in), Y (m, n_out)
export function gemm_q(dtype: DType, X: Float32Array, W: Uint8Array, Y: Float32Array, m: number, n_in: number, n_out: number, n0: number, n1: number): void {
  const w = new Float32Array(n_in);
  for (let c = n0; c < n1; c++) {
    row(dtype, W, c, n_in, w);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let k = 0; k < n_in; k++) s += w[k] * X[i * n_in + k];
      Y[i * n_out + c] = s;
    }
  }
}

// dst[r - r0] = deq(W[r]) for r in [r0, r1)           dst (r1 - r0, n_in)
export function dequant_rows_q(dtype: DType, W: Uint8Array, dst: Float32Array, n_in: number, r0: number, r1: number): void {
  for (let r = r0; r < r1; r++) row(dtype, W, r, n_in, dst, (r - r0) * n_in);
}

// signed quants of one 32-value block of a q8_0, q4_0 or q5_0 row (what the kernels' run32 unpacks)
function quants32(dtype: DType, W: Uint8Array, p: number, out: Int8Array): void {
  if (dtype === "q8_0") for (let j = 0; j < 32; j++) out[j] = (W[p + 2 + j] << 24) >> 24;
  else if (dtype === "q5_0") {
    const qh = (W[p + 2] | (W[p + 3] << 8) | (W[p + 4] << 16) | (W[p + 5] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      out[j] = ((W[p + 6 + j] & 15) | (((qh >>> j) & 1) << 4)) - 16;
      out[j + 16] = ((W[p + 6 + j] >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16;
    }
  }
  else for (let j = 0; j < 16; j++) { out[j] = (W[p + 2 + j] & 15) - 8; out[j + 16] = (W[p + 2 + j] >> 4) - 8; }
}

// y[r] = W[r] . x with x one Q8A row (src/ref/qact.ts), for q8_0, q4_0 and q5_0 W: the kernels'
// arithmetic step by step (exact i32 block sums; four f32 lanes, lane k summing quant pairs
// k, k+4, ... of each block's i32 partials as dot_i16x8_s does; product rounded, then added; hsum)
export function gemv_q_q8_0(dtype: DType, W: Uint8Array, xq: Uint8Array, y: Float32Array, n_in: number, r0: number, r1: number): void {
  const nb = n_in / 32, rb = rowBytes(dtype, n_in), bb = DTYPE_BLOCK[dtype][1];
  const dv = new DataView(xq.buffer, xq.byteOffset, xq.byteLength);
  const w = new Int8Array(32), lane = new Int32Array(4), acc = new Float32Array(4);
  for (let r = r0; r < r1; r++) {
    acc.fill(0);
    for (let b = 0; b < nb; b++) {
      const p = r * rb + b * bb;
      quants32(dtype, W, p, w);
      lane.fill(0);
      // dot_i16x8_s lane k sums elements 2k, 2k+1 of each 8-element half; run h of 16 at 16h
      for (let j = 0; j < 32; j++) lane[(j >> 1) & 3] += w[j] * ((xq[4 * nb + b * 32 + j] << 24) >> 24);
      const d = fr(f16ToF32(W[p] | (W[p + 1] << 8)) * dv.getFloat32(4 * b, true));
      for (let k = 0; k < 4; k++) acc[k] = acc[k] + fr(lane[k] * d);
    }
    y[r] = fr(fr(acc[0] + acc[2]) + fr(acc[1] + acc[3]));
  }
}

// y[r] = W[r] . x with x one Q8KA row (src/ref/qact.ts), for q4_k and q6_k W: per 256-block the
// exact integer sums isum (and q4_k's msum), then two f32 sums in block order, as the kernels do
export function gemv_q_q8_k(dtype: DType, W: Uint8Array, xq: Uint8Array, y: Float32Array, n_in: number, r0: number, r1: number): void {
  const nb = n_in / 256, rb = rowBytes(dtype, n_in), bb = DTYPE_BLOCK[dtype][1];
  const dv = new DataView(xq.buffer, xq.byteOffset, xq.byteLength);
  const so = 4 * nb, qo = so + (n_in / 32) * 4;
  const xv = (k: number) => (xq[qo + k] << 24) >> 24;
  for (let r = r0; r < r1; r++) {
    let acc = 0, accm = 0;
    for (let b = 0; b < nb; b++) {
      const p = r * rb + b * bb, dx = dv.getFloat32(4 * b, true), x0 = 256 * b;
      let isum = 0, msum = 0;
      if (dtype === "q4_k") {
        for (let j = 0; j < 8; j++) {
          const [sc, m] = scaleMin(W, p + 4, j);
          let dot = 0;
          for (let l = 0; l < 32; l++) {
            const byte = W[p + 16 + 32 * (j >> 1) + l];
            dot += ((j & 1) ? byte >> 4 : byte & 15) * xv(x0 + 32 * j + l);
          }
          isum += sc * dot;
          msum += m * dv.getInt32(so + 4 * (8 * b + j), true);
        }
        acc = fr(acc + fr(fr(isum) * fr(dx * f16ToF32(W[p] | (W[p + 1] << 8)))));
        accm = fr(accm + fr(fr(msum) * fr(dx * f16ToF32(W[p + 2] | (W[p + 3] << 8)))));
      } else {
        for (let h = 0; h < 2; h++) {
          for (let l = 0; l < 32; l++) {
            const ql0 = W[p + 64 * h + l], ql1 = W[p + 64 * h + l + 32], qh = W[p + 128 + 32 * h + l];
            const q = [(ql0 & 15) | ((qh & 3) << 4), (ql1 & 15) | (((qh >> 2) & 3) << 4), (ql0 >> 4) | (((qh >> 4) & 3) << 4), (ql1 >> 4) | (((qh >> 6) & 3) << 4)];
            for (let k = 0; k < 4; k++) {
              const sc = (W[p + 192 + 8 * h + (l >> 4) + 2 * k] << 24) >> 24;
              isum += sc * (q[k] - 32) * xv(x0 + 128 * h + 32 * k + l);
            }
          }
        }
        acc = fr(acc + fr(fr(isum) * fr(dx * f16ToF32(W[p + 208] | (W[p + 209] << 8)))));
      }
    }
    y[r] = fr(acc - accm);
  }
}
