// The storage types of KV cache rows (kv: {type} / --kv-type): what a key or value row of one KV
// head costs and whether a model's head_dim can use it. Row formats: assembly/kvrows.ts.
//   f32    4 * head_dim bytes                 exact (the reference)
//   f16    2 * head_dim bytes                 IEEE half, round to nearest even
//   q8_0   head_dim + 2 * ceil(head_dim / 32) 32-value blocks of i8 with an f16 scale (ggml's
//                                            q8_0; a head_dim not a multiple of 32 ends in a short block)
import { OptionError } from "../util/option-error.ts";

export type KVType = "f32" | "f16" | "q8_0";
export const KV_TYPES: readonly KVType[] = ["f32", "f16", "q8_0"];

// bytes of one row of headDim values
export function kvRowBytes(t: KVType, headDim: number): number {
  return t === "f32" ? 4 * headDim : t === "f16" ? 2 * headDim : headDim + 2 * Math.ceil(headDim / 32);
}

// The KV type `t` (default f32) checked against a model's head_dim: one error naming the problem.
export function checkKVType(t: unknown, headDim?: number): KVType {
  if (t === undefined) return "f32";
  if (typeof t !== "string" || !KV_TYPES.includes(t as KVType)) {
    const s = JSON.stringify(t);
    throw new OptionError("kv.type", t, `expected ${KV_TYPES.join(", ")}`, `invalid KV option type = ${s}: expected ${KV_TYPES.join(", ")}`);
  }
  if (headDim !== undefined && !(Number.isInteger(headDim) && headDim >= 1)) {
    throw new OptionError("kv.type", t, `the model's head_dim ${headDim} cannot hold KV rows`, `KV type ${t}: the model's head_dim ${headDim} cannot hold KV rows`);
  }
  return t as KVType;
}

// The residual window `r` (kv: {residual}) checked: an integer in [0, 4096], for q8_0 rows only
// (f32 and f16 rows are exact enough without one: one error naming the problem). Default: 16 for
// q8_0 (kv/store.ts: stories260K top-1 0.991 -> 0.998 against the f32 cache, bytes 0.339 -> 0.358),
// 0 otherwise.
export const MAX_RESIDUAL = 4096;
export const DEFAULT_RESIDUAL = 16;
export function checkResidual(r: unknown, type: KVType): number {
  if (r === undefined) return type === "q8_0" ? DEFAULT_RESIDUAL : 0;
  if (r === 0) return 0;
  if (typeof r !== "number" || !Number.isInteger(r) || r < 0 || r > MAX_RESIDUAL) {
    throw new OptionError("kv.residual", r, `expected an integer in [0, ${MAX_RESIDUAL}]`, `invalid KV option residual = ${JSON.stringify(r)}: expected an integer in [0, ${MAX_RESIDUAL}]`);
  }
  if (type !== "q8_0") throw new OptionError("kv.residual", r, `a residual window is for KV type q8_0, not ${type}`, `KV option residual = ${r}: a residual window is for KV type q8_0, not ${type}`);
  return r;
}
