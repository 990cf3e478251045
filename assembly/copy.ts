// Row gathers: the KV store's compaction (4-byte elements, and byte rows of quantized KV types).
// gather_rows_b32: dst row i = src row rows[i], rows of `len` elements, i in [0, n_rows)
//   dst (n_rows, len), src (>= max(rows) + 1, len), rows (n_rows) i32; dst must not overlap src
export function gather_rows_b32(dst: usize, src: usize, rows: usize, n_rows: i32, len: i32): void {
  const bytes = <usize>len << 2;
  for (let i = 0; i < n_rows; i++) {
    const r = <usize>load<i32>(rows + (<usize>i << 2));
    memory.copy(dst + <usize>i * bytes, src + r * bytes, bytes);
  }
}

// gather_rows_bytes: dst row i = src row rows[i], rows of row_bytes bytes (the f16 and Q8_0 KV rows)
export function gather_rows_bytes(dst: usize, src: usize, rows: usize, n_rows: i32, row_bytes: i32): void {
  const bytes = <usize>row_bytes;
  for (let i = 0; i < n_rows; i++) {
    const r = <usize>load<i32>(rows + (<usize>i << 2));
    memory.copy(dst + <usize>i * bytes, src + r * bytes, bytes);
  }
}
