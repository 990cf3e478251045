// Token embedding lookup: rows of token_embd (vocab, dim), f32 or quantized, into X (m, dim).
import type { Tensor } from "../wasm/tensor.ts";
import { dequantRows } from "../wasm/ops/qmatmul.ts";
import { copyStrided } from "../wasm/ops/copy.ts";

export function embedRows(x: Tensor, table: Tensor, tokens: ArrayLike<number>, start: number, m: number): void {
  const [vocab, dim] = table.shape;
  for (let t = 0; t < m; t++) {
    const id = tokens[start + t];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new RangeError(`token id ${id} is outside the vocabulary [0, ${vocab})`);
    if (table.dtype === "f32") {
      copyStrided(x, t * dim, dim, table, id * dim, dim, 1, dim);
    } else {
      dequantRows(x, table, id, id + 1, t);
    }
  }
}
