// GGUF v2/v3 header parser: metadata, tensor infos and the data offset (spec: docs/gguf.md in
// ggml-org/ggml). Every count, length, type and offset is checked against the file size before
// it is used. Tensor data is not read here; see the model loader.
import type { DType } from "../wasm/dtype.ts";
import { DTYPE_BLOCK, bytesFor } from "../wasm/dtype.ts";
import { decodeUtf8Batch } from "./utf8-batch.ts";
import { ByteReader, OutOfBytes } from "./bytes.ts";
import { ModelFormatError } from "./errors.ts";

export type GGUFValue = number | bigint | boolean | string | GGUFValue[] | Float32Array | Int32Array | Uint32Array;

export interface GGUFTensorInfo {
  name: string;
  shape: number[];      // outermost first: (n_out, n_in) for a weight; GGUF stores ne reversed
  ggmlType: number;
  dtype: DType | undefined; // undefined: a type budgetkv cannot read (named in typeName)
  typeName: string;
  offset: number;       // from the start of the tensor data
  nbytes: number;
}

export interface GGUFHeader {
  version: number;
  metadata: Map<string, GGUFValue>;
  tensors: GGUFTensorInfo[];
  alignment: number;
  dataOffset: number;   // absolute byte offset of the tensor data
}

// ggml type ids (ggml.h), with the ones budgetkv reads mapped to its dtypes
export const GGML_TYPES: Record<number, [string, DType | undefined]> = {
  0: ["F32", "f32"], 1: ["F16", "f16"], 2: ["Q4_0", "q4_0"], 3: ["Q4_1", "q4_1"],
  6: ["Q5_0", "q5_0"], 7: ["Q5_1", "q5_1"], 8: ["Q8_0", "q8_0"], 9: ["Q8_1", undefined],
  10: ["Q2_K", undefined], 11: ["Q3_K", undefined], 12: ["Q4_K", "q4_k"], 13: ["Q5_K", "q5_k"],
  14: ["Q6_K", "q6_k"], 15: ["Q8_K", undefined], 16: ["IQ2_XXS", undefined], 17: ["IQ2_XS", undefined],
  18: ["IQ3_XXS", undefined], 19: ["IQ1_S", undefined], 20: ["IQ4_NL", undefined], 21: ["IQ3_S", undefined],
  22: ["IQ2_S", undefined], 23: ["IQ4_XS", undefined], 24: ["I8", undefined], 25: ["I16", undefined],
  26: ["I32", undefined], 27: ["I64", undefined], 28: ["F64", undefined], 29: ["IQ1_M", undefined],
  30: ["BF16", "bf16"], 34: ["TQ1_0", undefined], 35: ["TQ2_0", undefined], 39: ["MXFP4", undefined],
};

export const GGML_TYPE_ID: Partial<Record<DType, number>> = Object.fromEntries(
  Object.entries(GGML_TYPES).filter(([, [, d]]) => d).map(([id, [, d]]) => [d as string, Number(id)]),
);

const MAGIC = 0x46554747; // "GGUF" little-endian
const MAX_DIMS = 4;

// Parses the header from `bytes`, a prefix of the file (or all of it) of total size `fileSize`.
// Throws OutOfBytes(n) when the prefix is too short and n <= fileSize, so the caller can read more;
// a file that ends inside its own header is a ModelFormatError.
export function parseGGUFHeader(bytes: Uint8Array, fileSize: number, file: string): GGUFHeader {
  const r = new ByteReader(bytes);
  const bad = (field: string, value: unknown, detail: string) => new ModelFormatError(file, field, value, detail);
  try {
    return parse(r, fileSize, bad);
  } catch (e) {
    if (e instanceof OutOfBytes && e.needed > fileSize) {
      throw bad("header", undefined, `file is truncated: the header needs at least ${e.needed} bytes but the file has ${fileSize}`);
    }
    throw e;
  }
}

type Bad = (field: string, value: unknown, detail: string) => ModelFormatError;

function parse(r: ByteReader, fileSize: number, bad: Bad): GGUFHeader {
  const magic = r.u32();
  if (magic !== MAGIC) throw bad("magic", "0x" + magic.toString(16), "not a GGUF file (expected \"GGUF\")");
  const version = r.u32();
  if (version !== 2 && version !== 3) throw bad("version", version, "unsupported GGUF version (budgetkv reads 2 and 3)");
  const nTensors = r.u64();
  const nKV = r.u64();
  // every tensor info needs >= 24 bytes, every key/value >= 13: counts past that cannot fit the file
  if (nTensors > fileSize / 24) throw bad("tensor_count", nTensors, `more tensors than a ${fileSize}-byte file can hold`);
  if (nKV > fileSize / 13) throw bad("metadata_kv_count", nKV, `more metadata entries than a ${fileSize}-byte file can hold`);

  const metadata = new Map<string, GGUFValue>();
  for (let i = 0; i < nKV; i++) {
    const key = readString(r, fileSize, bad, `metadata key #${i}`);
    const type = r.u32();
    if (metadata.has(key)) throw bad(key, undefined, "duplicate metadata key");
    metadata.set(key, readValue(r, type, fileSize, bad, key));
  }

  let alignment = 32;
  const al = metadata.get("general.alignment");
  if (al !== undefined) {
    if (typeof al !== "number" || !Number.isInteger(al) || al <= 0 || (al & (al - 1)) !== 0 || al > 1 << 20) {
      throw bad("general.alignment", al, "must be a power of two");
    }
    alignment = al;
  }

  const tensors: GGUFTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const name = readString(r, fileSize, bad, `tensor #${i} name`);
    if (names.has(name)) throw bad(`tensor ${name}`, undefined, "duplicate tensor name");
    names.add(name);
    const nDims = r.u32();
    if (nDims < 1 || nDims > MAX_DIMS) throw bad(`tensor ${name} n_dims`, nDims, `must be 1..${MAX_DIMS}`);
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const v = r.u64();
      if (!Number.isSafeInteger(v) || v < 1 || v > fileSize * 8) throw bad(`tensor ${name} dim ${d}`, v, "invalid dimension");
      ne.push(v);
    }
    const ggmlType = r.u32();
    const offset = r.u64();
    const known = GGML_TYPES[ggmlType];
    const [typeName, dtype] = known ?? [`type ${ggmlType}`, undefined];
    const shape = ne.slice().reverse();
    let nbytes = 0;
    if (dtype) {
      const block = DTYPE_BLOCK[dtype][0];
      if (ne[0] % block !== 0) throw bad(`tensor ${name} ne[0]`, ne[0], `not a multiple of the ${typeName} block size ${block}`);
      nbytes = bytesFor(dtype, shape);
    }
    if (!Number.isSafeInteger(offset) || offset % alignment !== 0) throw bad(`tensor ${name} offset`, offset, `not a multiple of the alignment ${alignment}`);
    tensors.push({ name, shape, ggmlType, dtype, typeName, offset, nbytes });
  }

  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  for (const t of tensors) {
    if (t.dtype && dataOffset + t.offset + t.nbytes > fileSize) {
      throw bad(`tensor ${t.name}`, undefined, `data [${dataOffset + t.offset}, ${dataOffset + t.offset + t.nbytes}) runs past the end of the ${fileSize}-byte file (truncated?)`);
    }
  }
  const byOffset = tensors.filter((t) => t.dtype).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const a = byOffset[i - 1], b = byOffset[i];
    if (b.offset < a.offset + a.nbytes) throw bad(`tensor ${b.name} offset`, b.offset, `overlaps tensor ${a.name} [${a.offset}, ${a.offset + a.nbytes})`);
  }
  return { version, metadata, tensors, alignment, dataOffset };
}

function readString(r: ByteReader, fileSize: number, bad: Bad, field: string): string {
  const n = r.u64();
  if (n > fileSize - r.pos) throw bad(field, n, `string length runs past the end of the ${fileSize}-byte file`);
  return r.str(n);
}

function readValue(r: ByteReader, type: number, fileSize: number, bad: Bad, key: string, depth = 0): GGUFValue {
  switch (type) {
    case 0: return r.u8();
    case 1: return r.i8();
    case 2: return r.u16();
    case 3: return r.i16();
    case 4: return r.u32();
    case 5: return r.i32();
    case 6: return r.f32();
    case 7: {
      const b = r.u8();
      if (b > 1) throw bad(key, b, "invalid bool");
      return b === 1;
    }
    case 8: return readString(r, fileSize, bad, key);
    case 9: return readArray(r, fileSize, bad, key, depth);
    case 10: return r.u64();
    case 11: return r.i64();
    case 12: return r.f64();
    default: throw bad(key, type, "unknown metadata value type");
  }
}

const ELEM_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

// arrays of arrays are legal; deeper nesting than this is only ever a corrupt or hostile file
const MAX_ARRAY_DEPTH = 8;

function readArray(r: ByteReader, fileSize: number, bad: Bad, key: string, depth: number): GGUFValue {
  if (depth >= MAX_ARRAY_DEPTH) throw bad(key, undefined, `arrays nested more than ${MAX_ARRAY_DEPTH} deep`);
  const type = r.u32();
  const n = r.u64();
  const minSize = type === 8 ? 8 : type === 9 ? 12 : ELEM_SIZE[type];
  if (minSize === undefined) throw bad(`${key} array type`, type, "unknown metadata value type");
  if (n > (fileSize - r.pos) / minSize) throw bad(`${key} array length`, n, `runs past the end of the ${fileSize}-byte file`);
  if (type === 6 || type === 5 || type === 4) {
    const raw = r.raw(n * 4);
    const copy = new Uint8Array(raw); // aligned copy
    return type === 6 ? new Float32Array(copy.buffer) : type === 5 ? new Int32Array(copy.buffer) : new Uint32Array(copy.buffer);
  }
  if (type === 8) return readStringArray(r, n, fileSize, bad, key);
  const out: GGUFValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(r, type, fileSize, bad, key, depth + 1);
  return out;
}

// n strings (a vocabulary's tokens or merges): bounds checked one by one as readString does,
// then decoded in one batch (per-string TextDecoder calls were most of a header's parse time)
function readStringArray(r: ByteReader, n: number, fileSize: number, bad: Bad, key: string): string[] {
  const start = new Float64Array(n), end = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const len = r.u64();
    if (len > fileSize - r.pos) throw bad(key, len, `string length runs past the end of the ${fileSize}-byte file`);
    r.need(len);
    start[i] = r.pos;
    r.pos += len;
    end[i] = r.pos;
  }
  return decodeUtf8Batch(r.bytes, start, end);
}
