// What every loader shares once it has a ModelConfig and a table of tensors: the expected shape of
// each canonical tensor (config.ts lists the names), the check that the file holds exactly those,
// and lazy TensorEntry objects that read their bytes from a ByteSource in chunks, reporting progress.
import type { ModelConfig } from "../model/config.ts";
import { validateConfig } from "../model/config.ts";
import type { DType } from "../wasm/dtype.ts";
import type { ByteSource } from "../io/source.ts";
import type { TensorEntry } from "./model-file.ts";
import { ModelFormatError } from "./errors.ts";

export interface LoadOptions {
  onBytes?: (n: number) => void; // called with each chunk of tensor bytes as it is read
}

// Large tensors are read in pieces so progress moves while they load.
const CHUNK = 1 << 23;

export function tensorEntry(src: ByteSource, name: string, dtype: DType, shape: number[], offset: number, nbytes: number, opts: LoadOptions): TensorEntry {
  return {
    name, dtype, shape, nbytes,
    async read() {
      if (nbytes <= CHUNK) {
        const b = await src.read(offset, nbytes);
        opts.onBytes?.(nbytes);
        return b;
      }
      const out = new Uint8Array(nbytes);
      for (let p = 0; p < nbytes; p += CHUNK) {
        const n = Math.min(CHUNK, nbytes - p);
        out.set(await src.read(offset + p, n), p);
        opts.onBytes?.(n);
      }
      return out;
    },
  };
}

// The same bytes under another name (tied embeddings stored once).
export function aliasEntry(e: TensorEntry, name: string): TensorEntry {
  return { name, dtype: e.dtype, shape: e.shape, nbytes: e.nbytes, read: () => e.read() };
}

const PER_LAYER = ["attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
  "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"];
const BIAS = ["attn_q.bias", "attn_k.bias", "attn_v.bias"];
const QK_NORM = ["attn_q_norm.weight", "attn_k_norm.weight"];

// The shape a canonical tensor must have under `c`, or undefined for a name the model does not use.
//   rope_freqs.weight (ropeDim/2): Llama 3 rope scaling as GGUF stores it, one divisor per frequency
export function expectedShape(c: ModelConfig, name: string): number[] | undefined {
  const q = c.nHeads * c.headDim, kv = c.nKvHeads * c.headDim;
  switch (name) {
    case "token_embd.weight": return [c.vocabSize, c.dim];
    case "output.weight": return c.tiedEmbeddings ? undefined : [c.vocabSize, c.dim];
    case "output_norm.weight": return [c.dim];
    case "rope_freqs.weight": return [c.ropeDim / 2];
  }
  const m = /^blk\.(0|[1-9]\d{0,6})\.(.+)$/.exec(name);
  if (!m || Number(m[1]) >= c.nLayers) return undefined;
  switch (m[2]) {
    case "attn_norm.weight": case "ffn_norm.weight": return [c.dim];
    case "attn_q.weight": return [q, c.dim];
    case "attn_k.weight": case "attn_v.weight": return [kv, c.dim];
    case "attn_output.weight": return [c.dim, q];
    case "ffn_gate.weight": case "ffn_up.weight": return [c.hiddenDim, c.dim];
    case "ffn_down.weight": return [c.dim, c.hiddenDim];
    case "attn_q.bias": return c.qkvBias ? [q] : undefined;
    case "attn_k.bias": case "attn_v.bias": return c.qkvBias ? [kv] : undefined;
    case "attn_q_norm.weight": case "attn_k_norm.weight": return c.qkNorm ? [c.headDim] : undefined;
  }
  return undefined;
}

// Validates the config, then checks that `tensors` holds every tensor the config implies, each
// with its expected shape, and nothing else (an unknown tensor means a model variant budgetkv
// would silently compute wrongly). Errors name the tensor and both shapes.
export function checkTensors(c: ModelConfig, tensors: Map<string, { shape: number[] }>, file: string): void {
  try {
    validateConfig(c, file);
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(file, "config", undefined, (e as Error).message.replace(`${file}: `, ""));
  }
  for (const [name, t] of tensors) {
    const want = expectedShape(c, name);
    if (!want) throw new ModelFormatError(file, `tensor ${name}`, undefined, `not part of a ${c.arch} model with ${c.nLayers} layers${c.tiedEmbeddings ? " and tied embeddings" : ""}${c.qkvBias ? "" : " without q/k/v biases"}${c.qkNorm ? "" : " without q/k norms"}`);
    if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
      throw new ModelFormatError(file, `tensor ${name}`, undefined, `shape (${t.shape.join(", ")}) does not match the config, which implies (${want.join(", ")})`);
    }
  }
  const perLayer = PER_LAYER.length + (c.qkvBias ? BIAS.length : 0) + (c.qkNorm ? QK_NORM.length : 0);
  if (c.nLayers * perLayer > tensors.size) {
    throw new ModelFormatError(file, "block_count", c.nLayers, `${c.nLayers} layers need ${c.nLayers * perLayer} tensors but the file has ${tensors.size}`);
  }
  const need = ["token_embd.weight", "output_norm.weight", ...(c.tiedEmbeddings ? [] : ["output.weight"])];
  for (let l = 0; l < c.nLayers; l++) {
    for (const s of PER_LAYER) need.push(`blk.${l}.${s}`);
    if (c.qkvBias) for (const s of BIAS) need.push(`blk.${l}.${s}`);
    if (c.qkNorm) for (const s of QK_NORM) need.push(`blk.${l}.${s}`);
  }
  for (const n of need) {
    if (!tensors.has(n)) throw new ModelFormatError(file, `tensor ${n}`, undefined, `missing (shape (${expectedShape(c, n)!.join(", ")}) expected)`);
  }
}

// A float32 metadata value as the shortest decimal that rounds to the same float32, so that
// 1e-6 stored as float32 reads back as 1e-6 and configs from different formats compare equal.
export function shortestF32(x: number): number {
  if (!Number.isFinite(x) || Math.fround(x) !== x) return x;
  for (let p = 1; p <= 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return v;
  }
  return x;
}
