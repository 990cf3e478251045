// Random K or V rows of a KV type, for attention tests and benches.
import type { Runtime } from "../../src/wasm/runtime.ts";
import type { Tensor } from "../../src/wasm/tensor.ts";
import { type KVType, kvRowBytes } from "../../src/kv/kv-type.ts";
import { writeKVRows } from "../../src/wasm/ops/kvrows.ts";
import type { Rng } from "./rand.ts";

// (rows, headDim) f32 rows uniform in [-scale, scale), or for f16 / q8_0 those rows rounded to
// the type once: a u8 tensor (rows, kvRowBytes(type, headDim)), as a KV store block holds them
export function randomKVRows(rt: Runtime, rng: Rng, type: KVType, rows: number, headDim: number, scale = 1): Tensor {
  const f = rt.tensor("f32", [rows, headDim]).write(rng.array(rows * headDim, scale));
  if (type === "f32") return f;
  const b = rt.tensor("u8", [rows, kvRowBytes(type, headDim)]);
  writeKVRows(b, type, headDim, 0, f, 0, headDim, rows);
  f.dispose();
  return b;
}
