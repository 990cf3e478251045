// Element types a tensor can hold, with their storage sizes. Quantized types store blocks
// along the last dimension, laid out as in GGUF (ggml-common.h).

export type DType =
  | "f32" | "f16" | "bf16" | "i32" | "u8"
  | "q8_0" | "q4_0" | "q4_1" | "q5_0" | "q5_1" | "q4_k" | "q5_k" | "q6_k";

// elements per block and bytes per block
export const DTYPE_BLOCK: Record<DType, readonly [number, number]> = {
  f32: [1, 4], f16: [1, 2], bf16: [1, 2], i32: [1, 4], u8: [1, 1],
  q8_0: [32, 34], q4_0: [32, 18], q4_1: [32, 20], q5_0: [32, 22], q5_1: [32, 24],
  q4_k: [256, 144], q5_k: [256, 176], q6_k: [256, 210],
};

// Bytes needed for a tensor of `shape`; the last dimension must be a whole number of blocks.
export function bytesFor(dtype: DType, shape: readonly number[]): number {
  const spec = DTYPE_BLOCK[dtype];
  if (!spec) throw new Error(`unknown dtype ${dtype}`);
  const [block, bytes] = spec;
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape [${shape.join(", ")}]`);
    n *= d;
  }
  const last = shape.length ? shape[shape.length - 1] : 1;
  if (last % block !== 0) throw new RangeError(`${dtype}: last dimension ${last} is not a multiple of the block size ${block}`);
  return (n / block) * bytes;
}
