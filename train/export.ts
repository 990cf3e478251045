// Writes a model.bin from train/train.py as GGUF files llama.cpp and budgetkv read: F32 and Q8_0.
// Usage: node scripts/run-ts.mjs train/export.ts MODEL.bin OUT_PREFIX [--name NAME]
//   -> OUT_PREFIX-f32.gguf and OUT_PREFIX-q8_0.gguf
// model.bin: u32 header length, a JSON header {format: "budgetkv-train-f32", config, vocab,
// tensors: [{name, shape (outermost first), offset}]}, then little-endian f32 data from offset 0.
// Q8_0 quantizes every matrix (blocks of 32 along the rows) and keeps the norm vectors in F32,
// as llama-quantize does for Q8_0. The output layer is tied to token_embd (no output.weight).
import { readFileSync, writeFileSync } from "node:fs";
import { writeGGUF, type GGUFMetaEntry, type GGUFTensorSpec } from "../src/format/gguf-writer.ts";
import { quantizeRow } from "../src/quant/index.ts";

interface TrainConfig {
  vocab_size: number; dim: number; n_layers: number; n_heads: number; n_kv_heads: number;
  hidden_dim: number; context_length: number; rope_theta: number; norm_eps: number;
}
interface TrainVocab { model: string; tokens: string[]; scores: number[]; token_type: number[]; bos: number; eos: number; unk: number }
interface Header { format: string; config: TrainConfig; vocab: TrainVocab; tensors: { name: string; shape: number[]; offset: number }[] }

function fail(msg: string): never { console.error(`export: ${msg}`); process.exit(1); }

export function readTrainBin(bytes: Uint8Array): { header: Header; data: Map<string, { shape: number[]; values: Float32Array }> } {
  if (bytes.length < 4) throw new Error("model.bin: too short for its header length");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true);
  if (4 + n > bytes.length) throw new Error(`model.bin: header of ${n} bytes runs past the end (${bytes.length})`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n))) as Header;
  if (header.format !== "budgetkv-train-f32") throw new Error(`model.bin: format "${header.format}", expected budgetkv-train-f32`);
  const base = 4 + n;
  const data = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const t of header.tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const start = base + t.offset;
    if (start + 4 * count > bytes.length) throw new Error(`model.bin: tensor ${t.name} runs past the end`);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = dv.getFloat32(start + 4 * i, true);
    data.set(t.name, { shape: t.shape, values });
  }
  return { header, data };
}

export function metadata(h: Header, name: string, fileType: number): GGUFMetaEntry[] {
  const c = h.config, v = h.vocab;
  const hd = c.dim / c.n_heads;
  return [
    ["general.architecture", "string", "llama"],
    ["general.name", "string", name],
    ["general.license", "string", "MIT"],
    ["general.description", "string", "budgetkv's own model: a small Llama trained by train/ on TinyStories (CDLA-Sharing-1.0) with passkey-retrieval episodes"],
    ["general.file_type", "u32", fileType],
    ["llama.context_length", "u32", c.context_length],
    ["llama.embedding_length", "u32", c.dim],
    ["llama.feed_forward_length", "u32", c.hidden_dim],
    ["llama.block_count", "u32", c.n_layers],
    ["llama.attention.head_count", "u32", c.n_heads],
    ["llama.attention.head_count_kv", "u32", c.n_kv_heads],
    ["llama.rope.dimension_count", "u32", hd],
    ["llama.rope.freq_base", "f32", c.rope_theta],
    ["llama.attention.layer_norm_rms_epsilon", "f32", c.norm_eps],
    ["llama.vocab_size", "u32", c.vocab_size],
    ["tokenizer.ggml.model", "string", "llama"],
    ["tokenizer.ggml.tokens", { array: "string" }, v.tokens],
    ["tokenizer.ggml.scores", { array: "f32" }, v.scores],
    ["tokenizer.ggml.token_type", { array: "i32" }, v.token_type],
    ["tokenizer.ggml.bos_token_id", "u32", v.bos],
    ["tokenizer.ggml.eos_token_id", "u32", v.eos],
    ["tokenizer.ggml.unknown_token_id", "u32", v.unk],
    ["tokenizer.ggml.add_bos_token", "bool", true],
    ["tokenizer.ggml.add_eos_token", "bool", false],
    ["tokenizer.ggml.add_space_prefix", "bool", true],
  ];
}

function f32Bytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(4 * i, a[i], true);
  return out;
}

export function exportGGUF(bin: Uint8Array, name: string, quant: "f32" | "q8_0"): Uint8Array {
  const { header, data } = readTrainBin(bin);
  const tensors: GGUFTensorSpec[] = [];
  for (const [tname, t] of data) {
    if (!t.values.every(Number.isFinite)) throw new Error(`model.bin: tensor ${tname} holds NaN or infinity`);
    const q = quant === "q8_0" && t.shape.length === 2;
    tensors.push({ name: tname, dtype: q ? "q8_0" : "f32", shape: t.shape, data: q ? quantizeRow("q8_0", t.values) : f32Bytes(t.values) });
  }
  return writeGGUF({ metadata: metadata(header, name, quant === "q8_0" ? 7 : 0), tensors });
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("export.mjs")) {
  const args = process.argv.slice(2);
  const ni = args.indexOf("--name");
  const name = ni >= 0 ? args.splice(ni, 2)[1] : "budgetkv-stories";
  const [src, prefix] = args;
  if (!src || !prefix) fail("usage: node scripts/run-ts.mjs train/export.ts MODEL.bin OUT_PREFIX [--name NAME]");
  let bin: Uint8Array;
  try { bin = readFileSync(src); } catch { fail(`cannot read ${src}`); }
  for (const q of ["f32", "q8_0"] as const) {
    const out = exportGGUF(bin, name, q);
    writeFileSync(`${prefix}-${q}.gguf`, out);
    console.log(`${prefix}-${q}.gguf: ${out.length} bytes`);
  }
}
