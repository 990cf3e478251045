// A GGUF model from a ByteSource: the header (read as a growing prefix of the file), its metadata
// mapped to a ModelConfig (key names as llama.cpp's llama-arch.cpp writes them: <arch>.embedding_length,
// <arch>.attention.head_count, ...), and lazy tensor entries in their stored types.
import type { Arch, ModelConfig } from "../model/config.ts";
import { ARCHS } from "../model/config.ts";
import type { ByteSource } from "../io/source.ts";
import type { ModelFile, TensorEntry } from "./model-file.ts";
import { type GGUFHeader, type GGUFValue, parseGGUFHeader } from "./gguf.ts";
import { OutOfBytes } from "./bytes.ts";
import { ModelFormatError } from "./errors.ts";
import { type LoadOptions, checkTensors, shortestF32, tensorEntry } from "./tensors.ts";

const FIRST_PREFIX = 1 << 20;
// A header past this is a corrupt length, not a model: the largest real vocabularies (~250k tokens
// with merges) take tens of MB.
const MAX_HEADER = 1 << 28;

// "GGUF" at offset 0, or why not
export function sniffGGUF(head: Uint8Array): true | string {
  if (head.length < 4) return "file shorter than 4 bytes";
  if (head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46) return true;
  return "no \"GGUF\" magic";
}

// The parsed header of any GGUF file (vocab-only files included: the tokenizer reads those).
export async function readGGUFHeader(src: ByteSource): Promise<GGUFHeader> {
  let n = Math.min(src.size, FIRST_PREFIX);
  for (;;) {
    const bytes = await src.read(0, n);
    try {
      return parseGGUFHeader(bytes, src.size, src.name);
    } catch (e) {
      if (!(e instanceof OutOfBytes)) throw e;
      const next = Math.min(src.size, Math.max(n * 2, e.needed));
      if (next > MAX_HEADER) throw new ModelFormatError(src.name, "header", undefined, `needs more than ${MAX_HEADER} bytes; the file is corrupt`);
      if (next <= n) throw new ModelFormatError(src.name, "header", undefined, `file is truncated inside its header at ${src.size} bytes`);
      n = next;
    }
  }
}

// The metadata key/values every GGUF llama-family model must or may carry, mapped to ModelConfig.
export function ggufConfig(h: GGUFHeader, file: string): ModelConfig {
  const tensorShapes = new Map(h.tensors.map((t) => [t.name, t.shape]));
  const bad = (key: string, v: unknown, why: string) => new ModelFormatError(file, key, v, why);
  const archV = h.metadata.get("general.architecture");
  if (archV === undefined) throw bad("general.architecture", undefined, "required metadata key is missing");
  if (typeof archV !== "string") throw bad("general.architecture", archV, "expected a string");
  if (!(ARCHS as readonly string[]).includes(archV)) throw bad("general.architecture", archV, `unsupported architecture (budgetkv runs ${ARCHS.join(", ")})`);
  const arch = archV as Arch;

  const get = (k: string): GGUFValue | undefined => h.metadata.get(`${arch}.${k}`);
  const num = (k: string, fallback?: number): number => {
    const v = get(k);
    if (v === undefined) {
      if (fallback === undefined) throw bad(`${arch}.${k}`, undefined, "required metadata key is missing");
      return fallback;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) throw bad(`${arch}.${k}`, Array.isArray(v) || ArrayBuffer.isView(v) ? "[array]" : v, "expected a single finite number (per-layer arrays are not supported)");
    return v;
  };
  const int = (k: string, fallback?: number): number => {
    const v = num(k, fallback);
    if (!Number.isSafeInteger(v) || v < 1) throw bad(`${arch}.${k}`, v, "expected a positive integer");
    return v;
  };

  const dim = int("embedding_length");
  const nHeads = int("attention.head_count");
  const nKvHeads = int("attention.head_count_kv", nHeads);
  if (get("attention.key_length") === undefined && dim % nHeads !== 0) throw bad(`${arch}.embedding_length`, dim, `not a multiple of head_count ${nHeads} and no attention.key_length`);
  const headDim = int("attention.key_length", dim / nHeads);
  const valueLength = int("attention.value_length", headDim);
  if (valueLength !== headDim) throw bad(`${arch}.attention.value_length`, valueLength, `differs from key_length ${headDim} (not supported)`);

  const tokens = h.metadata.get("tokenizer.ggml.tokens");
  const embd = tensorShapes.get("token_embd.weight");
  const vocabFallback = Array.isArray(tokens) ? tokens.length : embd?.[0];
  const vocabSize = int("vocab_size", vocabFallback);

  // llama.cpp reads a missing scaling type as "linear" and the factor from rope.scaling.factor or
  // the older rope.scale_linear; only factor 1 (or 0, "unset") leaves positions unscaled
  const scaling = get("rope.scaling.type") ?? "linear";
  const factorKey = get("rope.scaling.factor") !== undefined ? "rope.scaling.factor" : "rope.scale_linear";
  const factor = num(factorKey, 1);
  if (scaling !== "none" && factor !== 1 && factor !== 0) {
    throw bad(`${arch}.rope.scaling.type`, scaling, `rope scaling with ${arch}.${factorKey} = ${factor} is not supported (Llama 3 scaling is read from rope_freqs.weight)`);
  }

  return {
    arch,
    dim,
    hiddenDim: int("feed_forward_length"),
    nLayers: int("block_count"),
    nHeads,
    nKvHeads,
    headDim,
    vocabSize,
    contextLength: int("context_length"),
    normEps: shortestF32(num("attention.layer_norm_rms_epsilon")),
    ropeTheta: shortestF32(num("rope.freq_base", 10000)),
    ropeDim: int("rope.dimension_count", headDim),
    // llama.cpp's converter permutes llama/mistral q and k rows to interleaved pairs; qwen uses NEOX
    ropeStyle: arch === "llama" || arch === "mistral" ? "pairs" : "half",
    tiedEmbeddings: !tensorShapes.has("output.weight"),
    qkvBias: tensorShapes.has("blk.0.attn_q.bias"),
    qkNorm: tensorShapes.has("blk.0.attn_q_norm.weight"),
  };
}

export async function openGGUFModel(src: ByteSource, opts: LoadOptions = {}): Promise<ModelFile> {
  const file = src.name;
  const h = await readGGUFHeader(src);
  const config = ggufConfig(h, file);
  if (!h.tensors.length) throw new ModelFormatError(file, "tensor_count", 0, "no tensors: a vocab-only file (read its metadata with readGGUFHeader)");
  for (const t of h.tensors) {
    if (!t.dtype) throw new ModelFormatError(file, `tensor ${t.name} type`, t.typeName, "tensor type not supported (budgetkv reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
  }
  const infos = new Map(h.tensors.map((t) => [t.name, t]));
  checkTensors(config, infos, file);
  const t = infos.get("rope_freqs.weight");
  if (t) {
    if (t.dtype !== "f32") throw new ModelFormatError(file, "tensor rope_freqs.weight type", t.typeName, "expected F32");
  }
  const tensors = new Map<string, TensorEntry>();
  for (const t of h.tensors) tensors.set(t.name, tensorEntry(src, t.name, t.dtype!, t.shape, h.dataOffset + t.offset, t.nbytes, opts));
  const tmpl = h.metadata.get("tokenizer.chat_template");
  return {
    format: "gguf",
    name: file,
    config,
    tensors,
    metadata: h.metadata,
    chatTemplate: typeof tmpl === "string" ? tmpl : undefined,
    close: () => src.close(),
  };
}
