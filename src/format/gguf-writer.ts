// A GGUF v2/v3 writer, for tests and benchmarks: small models of any tensor type with any metadata.
// Layout (docs/gguf.md in ggml-org/ggml): magic, version, u64 tensor count, u64 key/value count,
// key/values, tensor infos (name, n_dims, ne[] innermost first, type, offset), padding to the
// alignment, then each tensor's data at its aligned offset.
import type { DType } from "../wasm/dtype.ts";
import { bytesFor } from "../wasm/dtype.ts";
import { GGML_TYPE_ID } from "./gguf.ts";

export type GGUFScalarType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "bool" | "string" | "u64" | "i64" | "f64";
export type GGUFType = GGUFScalarType | { array: GGUFType };
// [key, type, value]: numbers (bigint also for u64/i64), booleans, strings, and arrays (or typed arrays) of them
export type GGUFMetaEntry = [key: string, type: GGUFType, value: unknown];

export interface GGUFTensorSpec {
  name: string;
  dtype: DType;
  shape: number[];   // outermost first, as TensorEntry reports it
  data: Uint8Array;  // exactly bytesFor(dtype, shape) bytes
}

export interface GGUFWriteOptions { version?: 2 | 3; alignment?: number }

const TYPE_ID: Record<GGUFScalarType, number> = {
  u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, u64: 10, i64: 11, f64: 12,
};

class Out {
  buf: Uint8Array<ArrayBuffer> = new Uint8Array(1024);
  dv = new DataView(this.buf.buffer);
  n = 0;
  // reserves k bytes and returns their offset; may replace buf and dv, so call it before using them
  reserve(k: number): number {
    if (this.n + k > this.buf.length) {
      const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
      b.set(this.buf.subarray(0, this.n));
      this.buf = b;
      this.dv = new DataView(b.buffer);
    }
    const at = this.n;
    this.n += k;
    return at;
  }
  u8(v: number) { const at = this.reserve(1); this.dv.setUint8(at, v); }
  i8(v: number) { const at = this.reserve(1); this.dv.setInt8(at, v); }
  u16(v: number) { const at = this.reserve(2); this.dv.setUint16(at, v, true); }
  i16(v: number) { const at = this.reserve(2); this.dv.setInt16(at, v, true); }
  u32(v: number) { const at = this.reserve(4); this.dv.setUint32(at, v, true); }
  i32(v: number) { const at = this.reserve(4); this.dv.setInt32(at, v, true); }
  f32(v: number) { const at = this.reserve(4); this.dv.setFloat32(at, v, true); }
  f64(v: number) { const at = this.reserve(8); this.dv.setFloat64(at, v, true); }
  u64(v: number | bigint) { const at = this.reserve(8); this.dv.setBigUint64(at, BigInt(v), true); }
  i64(v: number | bigint) { const at = this.reserve(8); this.dv.setBigInt64(at, BigInt(v), true); }
  bytes(b: Uint8Array) { const at = this.reserve(b.length); this.buf.set(b, at); }
  str(s: string) { const b = new TextEncoder().encode(s); this.u64(b.length); this.bytes(b); }
  pad(alignment: number) { this.reserve((alignment - (this.n % alignment)) % alignment); }
}

function writeValue(o: Out, type: GGUFType, v: unknown, key: string): void {
  if (typeof type === "object") {
    const items = Array.from(v as ArrayLike<unknown>);
    const elem = type.array;
    o.u32(typeof elem === "object" ? 9 : TYPE_ID[elem]);
    o.u64(items.length);
    for (const x of items) writeValue(o, elem, x, key);
    return;
  }
  if (type === "string") { if (typeof v !== "string") throw new TypeError(`${key}: expected a string`); o.str(v); return; }
  if (type === "bool") { o.u8(v ? 1 : 0); return; }
  if (type === "u64") { o.u64(v as number | bigint); return; }
  if (type === "i64") { o.i64(v as number | bigint); return; }
  if (typeof v !== "number") throw new TypeError(`${key}: expected a number for ${type}`);
  o[type](v);
}

function typeId(t: GGUFType): number { return typeof t === "object" ? 9 : TYPE_ID[t]; }

export function writeGGUF(model: { metadata: GGUFMetaEntry[]; tensors: GGUFTensorSpec[] }, opts: GGUFWriteOptions = {}): Uint8Array<ArrayBuffer> {
  const version = opts.version ?? 3, alignment = opts.alignment ?? 32;
  const meta = model.metadata.slice();
  if (alignment !== 32 && !meta.some(([k]) => k === "general.alignment")) meta.push(["general.alignment", "u32", alignment]);
  const o = new Out();
  o.u32(0x46554747);
  o.u32(version);
  o.u64(model.tensors.length);
  o.u64(meta.length);
  for (const [key, type, value] of meta) {
    o.str(key);
    o.u32(typeId(type));
    writeValue(o, type, value, key);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of model.tensors) {
    const id = GGML_TYPE_ID[t.dtype];
    if (id === undefined) throw new Error(`${t.name}: dtype ${t.dtype} has no GGUF type`);
    const n = bytesFor(t.dtype, t.shape);
    if (t.data.length !== n) throw new Error(`${t.name}: ${t.data.length} bytes given, ${t.dtype} (${t.shape.join(", ")}) needs ${n}`);
    o.str(t.name);
    o.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) o.u64(t.shape[d]);
    o.u32(id);
    o.u64(offset);
    offsets.push(offset);
    offset += Math.ceil(n / alignment) * alignment;
  }
  o.pad(alignment);
  const start = o.n;
  o.reserve(offset);
  model.tensors.forEach((t, i) => o.buf.set(t.data, start + offsets[i]));
  return o.buf.slice(0, o.n);
}
