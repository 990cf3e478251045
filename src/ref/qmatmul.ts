// Plain TypeScript references for assembly/qmatmul.ts: the test oracle and the fallback.
// Each decodes W rows with src/quant's dequantizeRow (bit-exact with ggml) and accumulates
// the dot products in float64. Arrays are whole buffers; W starts at row 0.
import { dequantizeRow } from "../quant/index.ts";
import { DTYPE_BLOCK, type DType } from "../wasm/dtype.ts";

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
