// Hugging Face safetensors (github huggingface/safetensors, README): an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {...}},
// then the data, which the offsets (relative to its start) must cover exactly, without overlap.
// A model is a folder: config.json plus model.safetensors, or shards listed by
// model.safetensors.index.json ({weight_map: {tensor: shard file}}), plus the tokenizer files.
import type { DType } from "../wasm/dtype.ts";
import type { ByteSource, Folder } from "../io/source.ts";
import { SourceError, openRequired, readText } from "../io/source.ts";
import type { ModelFile, TensorEntry } from "./model-file.ts";
import { ByteReader } from "./bytes.ts";
import { ModelFormatError } from "./errors.ts";
import { parseJson, parseJsonObject } from "./json.ts";
import { canonicalName, hfConfig } from "./hf-config.ts";
import { type LoadOptions, aliasEntry, checkTensors, tensorEntry } from "./tensors.ts";

// element sizes of every safetensors dtype; budgetkv reads the three float types
export const SAFETENSORS_DTYPES: Record<string, readonly [number, DType | undefined]> = {
  F32: [4, "f32"], F16: [2, "f16"], BF16: [2, "bf16"], F64: [8, undefined],
  I64: [8, undefined], I32: [4, undefined], I16: [2, undefined], I8: [1, undefined],
  U64: [8, undefined], U32: [4, undefined], U16: [2, undefined], U8: [1, undefined], BOOL: [1, undefined],
  F8_E4M3: [1, undefined], F8_E5M2: [1, undefined],
};

const MAX_HEADER = 1 << 27;
const MAX_JSON_FILE = 1 << 28;

export interface SafetensorsTensorInfo {
  name: string;
  dtype: string;     // as written ("F32", "BF16", ...)
  shape: number[];
  offset: number;    // absolute byte offset in the file
  nbytes: number;
}

export interface SafetensorsHeader {
  tensors: SafetensorsTensorInfo[];
  metadata: Record<string, string>;
  dataOffset: number;
}

export function sniffSafetensors(head: Uint8Array, size: number): true | string {
  if (head.length < 9) return "file shorter than 9 bytes";
  const n = new ByteReader(head).u64();
  if (n < 2 || n > size - 8) return `header length ${n} does not fit the ${size}-byte file`;
  if (head[8] !== 0x7b) return "header does not start with \"{\"";
  return true;
}

export async function readSafetensorsHeader(src: ByteSource): Promise<SafetensorsHeader> {
  const file = src.name;
  if (src.size < 8) throw new ModelFormatError(file, "header length", undefined, `file of ${src.size} bytes is too short for safetensors`);
  const n = new ByteReader(await src.read(0, 8)).u64();
  if (n > src.size - 8) throw new ModelFormatError(file, "header length", n, `runs past the end of the ${src.size}-byte file (truncated?)`);
  if (n > MAX_HEADER) throw new ModelFormatError(file, "header length", n, `larger than ${MAX_HEADER} bytes; the file is corrupt`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await src.read(8, n));
  } catch (e) {
    throw new ModelFormatError(file, "header", undefined, `not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  const json = parseJson(text, file, { maxBytes: MAX_HEADER, maxDepth: 16, field: "header" });
  return parseSafetensorsHeader(json, src.size, file, n);
}

// `json` is the parsed header of `headerLength` bytes from a file of `fileSize` bytes.
export function parseSafetensorsHeader(json: unknown, fileSize: number, file: string, headerLength: number): SafetensorsHeader {
  const bad = (field: string, v: unknown, why: string) => new ModelFormatError(file, field, v, why);
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw bad("header", undefined, "expected a JSON object");
  const dataOffset = 8 + headerLength;
  const dataSize = fileSize - dataOffset;
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  const rel: [number, number][] = [];
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad("__metadata__", undefined, "expected an object of strings");
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== "string") throw bad(`__metadata__.${k}`, typeof s === "object" ? JSON.stringify(s) : s, "expected a string");
        metadata[k] = s;
      }
      continue;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(`tensor ${name}`, undefined, "expected {dtype, shape, data_offsets}");
    const { dtype, shape, data_offsets: off } = v as Record<string, unknown>;
    if (typeof dtype !== "string" || !SAFETENSORS_DTYPES[dtype]) throw bad(`tensor ${name} dtype`, typeof dtype === "string" ? dtype : String(dtype), "unknown dtype");
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`tensor ${name} shape`, JSON.stringify(shape), "expected up to 8 non-negative integers");
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`tensor ${name} data_offsets`, JSON.stringify(off), "expected [begin, end]");
    const [b, e] = off as [number, number];
    if (b > e || e > dataSize) throw bad(`tensor ${name} data_offsets`, `[${b}, ${e}]`, `outside the ${dataSize}-byte data section (truncated?)`);
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    const want = numel * SAFETENSORS_DTYPES[dtype][0];
    if (e - b !== want) throw bad(`tensor ${name} data_offsets`, `[${b}, ${e}]`, `${e - b} bytes, but ${dtype} (${(shape as number[]).join(", ")}) needs ${want}`);
    tensors.push({ name, dtype, shape: shape as number[], offset: dataOffset + b, nbytes: e - b });
    rel.push([b, e]);
  }
  // the data must be covered exactly: no overlap, no holes (the safetensors rule)
  const order = rel.map((_, i) => i).sort((i, j) => rel[i][0] - rel[j][0] || rel[i][1] - rel[j][1]);
  let end = 0;
  for (const i of order) {
    const [b, e] = rel[i];
    if (b < end) throw bad(`tensor ${tensors[i].name} data_offsets`, `[${b}, ${e}]`, `overlaps the previous tensor, which ends at ${end}`);
    if (b > end) throw bad(`tensor ${tensors[i].name} data_offsets`, `[${b}, ${e}]`, `leaves a hole [${end}, ${b}) in the data`);
    end = e;
  }
  if (end !== dataSize) throw bad("data", undefined, `tensors cover ${end} bytes but the data section has ${dataSize} (truncated or trailing bytes?)`);
  return { tensors, metadata, dataOffset };
}

// A single .safetensors file: its config.json and tokenizer files are read from beside it.
export async function openSafetensorsFile(src: ByteSource, opts: LoadOptions = {}): Promise<ModelFile> {
  const sibling = src.openSibling?.bind(src);
  if (!sibling) throw new ModelFormatError(src.name, "config.json", undefined, "a safetensors model needs its config.json: open the folder (or a FileList / Map of its files) instead of the file alone");
  const folder: Folder = {
    name: src.name.replace(/[/\\][^/\\]*$/, ""),
    async tryOpen(name) {
      try {
        return await sibling(name);
      } catch (e) {
        if (e instanceof SourceError && e.missing) return undefined;
        throw e;
      }
    },
  };
  return loadHF(folder, [src], opts);
}

export async function openSafetensorsFolder(folder: Folder, opts: LoadOptions = {}): Promise<ModelFile> {
  const index = await folder.tryOpen("model.safetensors.index.json");
  if (!index) return loadHF(folder, [await openRequired(folder, "model.safetensors")], opts);
  const file = `${folder.name}/model.safetensors.index.json`;
  const map = (await readJson(index, file)).weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) throw new ModelFormatError(file, "weight_map", undefined, "expected an object {tensor: shard file}");
  const shards = new Map<string, string[]>();
  for (const [t, s] of Object.entries(map as Record<string, unknown>)) {
    if (typeof s !== "string" || !/^[^/\\]+$/.test(s) || s === "." || s === "..") throw new ModelFormatError(file, `weight_map.${t}`, s, "expected a file name in the same folder");
    if (!shards.has(s)) shards.set(s, []);
    shards.get(s)!.push(t);
  }
  if (shards.size > 10000) throw new ModelFormatError(file, "weight_map", undefined, `${shards.size} shard files`);
  const srcs: ByteSource[] = [];
  try {
    for (const s of shards.keys()) srcs.push(await openRequired(folder, s));
  } catch (e) {
    await Promise.all(srcs.map((s) => s.close()));
    throw e;
  }
  return loadHF(folder, srcs, opts, shards);
}

async function loadHF(folder: Folder, srcs: ByteSource[], opts: LoadOptions, shards?: Map<string, string[]>): Promise<ModelFile> {
  try {
    const cfgFile = `${folder.name}/config.json`;
    const cfgJson = await readJson(await openRequired(folder, "config.json"), cfgFile);
    const config = hfConfig(cfgJson, cfgFile);

    const stored = new Map<string, TensorEntry>(); // by Hugging Face name
    const aliases: Record<string, string> = {};
    const shardNames = shards ? [...shards.keys()] : [];
    for (let i = 0; i < srcs.length; i++) {
      const src = srcs[i];
      const h = await readSafetensorsHeader(src);
      for (const t of h.tensors) {
        if (stored.has(t.name)) throw new ModelFormatError(src.name, `tensor ${t.name}`, undefined, "stored in more than one shard");
        const dtype = SAFETENSORS_DTYPES[t.dtype][1];
        if (!dtype) {
          if (canonicalName(t.name) === null) continue;
          throw new ModelFormatError(src.name, `tensor ${t.name} dtype`, t.dtype, "not supported (budgetkv reads F32, F16 and BF16)");
        }
        stored.set(t.name, tensorEntry(src, t.name, dtype, t.shape, t.offset, t.nbytes, opts));
      }
      Object.assign(aliases, h.metadata);
      if (shards) {
        const here = new Set(h.tensors.map((x) => x.name));
        for (const t of shards.get(shardNames[i])!) {
          if (!here.has(t)) throw new ModelFormatError(src.name, `tensor ${t}`, undefined, "listed in model.safetensors.index.json but not stored in this shard");
        }
      }
    }
    // shared tensors saved once, with __metadata__ mapping the dropped name to the kept one
    for (const [name, target] of Object.entries(aliases)) {
      const e = stored.get(target);
      if (e && !stored.has(name) && /\.(weight|bias)$/.test(name)) stored.set(name, e);
    }

    const tensors = new Map<string, TensorEntry>();
    for (const [hf, e] of stored) {
      const name = canonicalName(hf);
      if (name === null) continue;
      tensors.set(name, aliasEntry(e, name));
    }
    if (config.tiedEmbeddings) {
      const out = tensors.get("output.weight");
      if (out && !tensors.has("token_embd.weight")) tensors.set("token_embd.weight", aliasEntry(out, "token_embd.weight"));
      tensors.delete("output.weight");
    }
    checkTensors(config, tensors, srcs.length === 1 ? srcs[0].name : folder.name);

    const tokenizerJson = await optional(folder, "tokenizer.json", async (s, f) => {
      if (s.size > MAX_JSON_FILE) { await s.close(); throw new ModelFormatError(f, "size", s.size, "too large for a JSON file"); }
      return readText(s);
    });
    const tokenizerConfig = await optional(folder, "tokenizer_config.json", (s, f) => readJson(s, f));
    const generationConfig = await optional(folder, "generation_config.json", (s, f) => readJson(s, f));
    const jinja = await optional(folder, "chat_template.jinja", (s) => readText(s));
    return {
      format: "safetensors",
      name: srcs.length === 1 ? srcs[0].name : folder.name,
      config,
      tensors,
      hf: { config: cfgJson, tokenizerJson, tokenizerConfig, generationConfig },
      chatTemplate: jinja ?? chatTemplateOf(tokenizerConfig),
      close: async () => { await Promise.all(srcs.map((s) => s.close())); },
    };
  } catch (e) {
    await Promise.all(srcs.map((s) => s.close()));
    throw e;
  }
}

// tokenizer_config.json's chat_template: a string, or a list of {name, template} (take "default")
function chatTemplateOf(tc: Record<string, unknown> | undefined): string | undefined {
  const t = tc?.chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t.filter((x): x is { name: unknown; template: string } => typeof x === "object" && x !== null && typeof x.template === "string");
    return (named.find((x) => x.name === "default") ?? named[0])?.template;
  }
  return undefined;
}

async function readJson(src: ByteSource, file: string): Promise<Record<string, unknown>> {
  if (src.size > MAX_JSON_FILE) { await src.close(); throw new ModelFormatError(file, "size", src.size, "too large for a JSON file"); }
  return parseJsonObject(await readText(src), file);
}

async function optional<T>(folder: Folder, name: string, read: (s: ByteSource, file: string) => Promise<T>): Promise<T | undefined> {
  const s = await folder.tryOpen(name);
  return s ? read(s, `${folder.name}/${name}`) : undefined;
}
