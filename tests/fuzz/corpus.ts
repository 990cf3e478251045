// The fuzzer's seed inputs: every format budgetkv loads, each as a set of files (name -> bytes)
// plus the places worth mutating in each file: the header fields (offset, width, role), where the
// tensor data lies, and which files are JSON. Built from the shared test models when present and
// from tests/helpers/tiny-models.ts (written in memory) always.
//   GGUF       stories260K.gguf (f32), tinystories-656k-q8_0.gguf, tiny qwen3 written here
//   llama2.c   stories260K.bin + tok512.bin, babyllama model5000.bin + tok105.bin (legacy, v0)
//   HF folder  tinystories-656k (config, safetensors, tokenizer.json, tokenizer_config,
//              generation_config), the same split into two shards with an index, tiny qwen2
import { existsSync, readFileSync } from "node:fs";
import { sharedPath } from "../helpers/shared.ts";
import { tinyGGUF, tinyHF } from "../helpers/tiny-models.ts";

export type Format = "gguf" | "llama2c" | "hf";

// A header field the mutator may overwrite with an "interesting" value.
//   kind: "u32" | "u64" | "i32" (integers), "f32" | "f64" (floats); role names it in reproducers
export interface Field { at: number; kind: "u32" | "u64" | "i32" | "f32" | "f64" | "u8"; role: string }

export interface SeedFile {
  bytes: Uint8Array;
  fields: Field[];             // header fields (binary files)
  data?: [number, number];     // the tensor data region [begin, end)
  json?: boolean;              // a JSON file (mutated structurally)
  stHeader?: boolean;          // a safetensors file (its JSON header mutated structurally)
}

export interface Target {
  name: string;
  format: Format;
  files: Record<string, SeedFile>;
  model: string;               // the file or folder to load: a file name, or "" for the folder
  tokenizer?: string;          // llama2.c: the tokenizer file passed explicitly
}

const read = (rel: string): Uint8Array | undefined => {
  const p = sharedPath(rel);
  return existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
};

// ---- GGUF: every header field's position ----
export function ggufFields(b: Uint8Array): { fields: Field[]; data: [number, number] } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fields: Field[] = [];
  let p = 0;
  const u32 = (role: string) => { fields.push({ at: p, kind: "u32", role }); const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = (role: string) => { fields.push({ at: p, kind: "u64", role }); const v = Number(dv.getBigUint64(p, true)); p += 8; return v; };
  const str = (role: string, keep = true) => {
    const n = Number(dv.getBigUint64(p, true));
    if (keep) fields.push({ at: p, kind: "u64", role: `${role} length` });
    p += 8;
    const s = new TextDecoder().decode(b.subarray(p, p + n));
    p += n;
    return s;
  };
  const SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  p = 8;
  const nT = u64("tensor_count"), nKV = u64("metadata_kv_count");
  for (let i = 0; i < nKV; i++) {
    const key = str(`key #${i}`);
    const type = u32(`${key} type`);
    if (type === 8) str(key);
    else if (type === 9) {
      const et = u32(`${key} array type`);
      const n = u64(`${key} array length`);
      if (et === 8) for (let j = 0; j < n; j++) str(`${key}[${j}]`, j < 4 || j === n - 1);
      else p += n * SIZE[et];
    } else {
      const kind = type === 4 ? "u32" : type === 5 ? "i32" : type === 6 ? "f32" : type === 10 ? "u64" : type === 12 ? "f64" : undefined;
      if (kind) fields.push({ at: p, kind, role: key });
      p += SIZE[type];
    }
  }
  let dataEnd = 0;
  for (let i = 0; i < nT; i++) {
    const name = str(`tensor #${i} name`);
    const nd = u32(`${name} n_dims`);
    for (let d = 0; d < nd; d++) u64(`${name} ne[${d}]`);
    u32(`${name} type`);
    u64(`${name} offset`);
  }
  const align = 32;
  const start = Math.ceil(p / align) * align;
  dataEnd = b.length;
  return { fields, data: [start, dataEnd] };
}

// ---- llama2.c: the 7 header ints (and v1's shared flag); tokenizer.bin: lengths and scores ----
function llama2cFields(b: Uint8Array): { fields: Field[]; data: [number, number] } {
  const v1 = new DataView(b.buffer, b.byteOffset).getUint32(0, true) === 0x616b3432;
  const at = v1 ? 8 : 0;
  const names = ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"];
  const fields: Field[] = names.map((role, i) => ({ at: at + 4 * i, kind: "i32", role }));
  if (v1) fields.push({ at: 4, kind: "i32", role: "version" }, { at: 36, kind: "u8", role: "shared_classifier" });
  return { fields, data: [v1 ? 256 : 28, b.length] };
}

function tokenizerBinFields(b: Uint8Array): Field[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fields: Field[] = [{ at: 0, kind: "i32", role: "max_token_length" }];
  let p = 4;
  for (let i = 0; p + 8 <= b.length; i++) {
    if (i < 300 || i % 97 === 0) fields.push({ at: p, kind: "f32", role: `score[${i}]` }, { at: p + 4, kind: "i32", role: `len[${i}]` });
    p += 8 + Math.max(0, dv.getInt32(p + 4, true));
  }
  return fields;
}

function stFile(bytes: Uint8Array): SeedFile {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { bytes, fields: [{ at: 0, kind: "u64", role: "header length" }], data: [8 + n, bytes.length], stHeader: true };
}

const jsonFile = (bytes: Uint8Array): SeedFile => ({ bytes, fields: [], json: true });
const blobBytes = async (m: Map<string, Blob>) => Object.fromEntries(await Promise.all([...m].map(async ([k, v]) => [k, new Uint8Array(await v.arrayBuffer())] as const)));

// Splits a safetensors file into two shards (tensors in header order) with an index.
function shard(st: Uint8Array): Record<string, Uint8Array> {
  const dv = new DataView(st.buffer, st.byteOffset);
  const n = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(st.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  const half = Math.ceil(names.length / 2);
  const write = (part: string[]) => {
    const h: Record<string, unknown> = {};
    let off = 0;
    const chunks: Uint8Array[] = [];
    for (const t of part) {
      const [b, e] = header[t].data_offsets;
      h[t] = { dtype: header[t].dtype, shape: header[t].shape, data_offsets: [off, off + e - b] };
      chunks.push(st.subarray(8 + n + b, 8 + n + e));
      off += e - b;
    }
    let json = JSON.stringify(h);
    json += " ".repeat((8 - (json.length % 8)) % 8);
    const hb = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + hb.length + off);
    new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
    out.set(hb, 8);
    let p = 8 + hb.length;
    for (const c of chunks) { out.set(c, p); p += c.length; }
    return out;
  };
  const weightMap = Object.fromEntries(names.map((t, i) => [t, i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors"]));
  return {
    "model-00001-of-00002.safetensors": write(names.slice(0, half)),
    "model-00002-of-00002.safetensors": write(names.slice(half)),
    "model.safetensors.index.json": new TextEncoder().encode(JSON.stringify({ metadata: { total_size: st.length - 8 - n }, weight_map: weightMap })),
  };
}

function hfTarget(name: string, raw: Record<string, Uint8Array>): Target {
  const files: Record<string, SeedFile> = {};
  for (const [f, b] of Object.entries(raw)) files[f] = f.endsWith(".json") ? jsonFile(b) : stFile(b);
  return { name, format: "hf", files, model: "" };
}

export async function buildCorpus(): Promise<{ targets: Target[]; missing: string[] }> {
  const targets: Target[] = [];
  const missing: string[] = [];
  for (const f of ["stories260K.gguf", "tinystories-656k-q8_0.gguf"]) {
    const b = read(`models/${f}`);
    if (!b) { missing.push(`models/${f}`); continue; }
    targets.push({ name: f, format: "gguf", files: { [f]: { bytes: b, ...ggufFields(b) } }, model: f });
  }
  const tiny = tinyGGUF("qwen3");
  targets.push({ name: "tiny-qwen3.gguf", format: "gguf", files: { "tiny-qwen3.gguf": { bytes: tiny, ...ggufFields(tiny) } }, model: "tiny-qwen3.gguf" });

  for (const [m, t] of [["stories260K.bin", "tok512.bin"], ["babyllama-tok105/model5000.bin", "babyllama-tok105/tok105.bin"]]) {
    const mb = read(`models/${m}`), tb = read(`models/${t}`);
    if (!mb || !tb) { missing.push(`models/${m}`); continue; }
    const mn = m.split("/").pop()!, tn = t.split("/").pop()!;
    targets.push({
      name: mn, format: "llama2c", model: mn, tokenizer: tn,
      files: { [mn]: { bytes: mb, ...llama2cFields(mb) }, [tn]: { bytes: tb, fields: tokenizerBinFields(tb) } },
    });
  }

  const dir = "models/tinystories-656k";
  const names = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"];
  const raw: Record<string, Uint8Array> = {};
  for (const f of names) { const b = read(`${dir}/${f}`); if (b) raw[f] = b; }
  if (Object.keys(raw).length === names.length) {
    targets.push(hfTarget("tinystories-656k", raw));
    const { "model.safetensors": st, ...rest } = raw;
    targets.push(hfTarget("tinystories-656k-sharded", { ...rest, ...shard(st) }));
  } else missing.push(dir);
  targets.push(hfTarget("tiny-qwen2", await blobBytes(tinyHF("qwen2"))));
  return { targets, missing };
}
