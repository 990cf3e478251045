// Reference for assembly/copy.ts: dst row i = src row rows[i] (4-byte elements as u32).
export function gather_rows_b32(dst: Uint32Array, src: Uint32Array, rows: Int32Array, nRows: number, len: number): void {
  for (let i = 0; i < nRows; i++) for (let j = 0; j < len; j++) dst[i * len + j] = src[rows[i] * len + j];
}

// dst row i = src row rows[i], rows of rowBytes bytes
export function gather_rows_bytes(dst: Uint8Array, src: Uint8Array, rows: Int32Array, nRows: number, rowBytes: number): void {
  for (let i = 0; i < nRows; i++) for (let j = 0; j < rowBytes; j++) dst[i * rowBytes + j] = src[rows[i] * rowBytes + j];
}
