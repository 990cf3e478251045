// llama2.c checkpoints (github karpathy/llama2.c: export.py writes them, run.c reads them). All f32.
// legacy (v0): header 7 x int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len);
//   vocab_size < 0 means the classifier is stored separately. Then:
//   token_embedding (vocab, dim), rms_att (L, dim), wq (L, dim, dim), wk (L, kv_dim, dim),
//   wv (L, kv_dim, dim), wo (L, dim, dim), rms_ffn (L, dim), w1 (L, hidden, dim), w2 (L, dim, hidden),
//   w3 (L, hidden, dim), rms_final (dim), freq_cis_real (seq_len, head_size/2), freq_cis_imag (same),
//   wcls (vocab, dim) when not shared.
// version 1: u32 magic 0x616b3432 ("ak42"), i32 version, the same 7 int32 (vocab positive),
//   u8 shared_classifier, zeros to 256 bytes. Then rms_att, rms_ffn, rms_final, token_embedding,
//   wq, wk, wv, wo, w1, w2, w3 (shapes as above), and wcls when not shared; no freq_cis.
// Version 2 (int8 groups) is not read. Norm epsilon 1e-5, rope theta 10000, interleaved-pair RoPE.
import type { ModelConfig } from "../model/config.ts";
import type { ByteSource } from "../io/source.ts";
import type { ModelFile, TensorEntry } from "./model-file.ts";
import { ByteReader } from "./bytes.ts";
import { ModelFormatError } from "./errors.ts";
import { type LoadOptions, checkTensors, tensorEntry } from "./tensors.ts";

const MAGIC = 0x616b3432;

export interface Llama2cHeader {
  version: 0 | 1;
  dim: number; hiddenDim: number; nLayers: number; nHeads: number; nKvHeads: number;
  vocabSize: number; seqLen: number;
  shared: boolean;       // the classifier is token_embedding
  headerBytes: number;   // 28 (legacy) or 256
}

// a segment of the file: one tensor, or one per layer (name null: skipped, the freq_cis tables)
interface Segment { name: string | null; perLayer: boolean; shape: number[] }

function readInts(head: Uint8Array, at: number): number[] {
  const r = new ByteReader(head, at);
  return Array.from({ length: 7 }, () => r.i32());
}

// Why these header numbers cannot be a llama2.c model, or undefined when they can.
function implausible(dim: number, hidden: number, layers: number, heads: number, kv: number, vocab: number, seq: number): string | undefined {
  const within = (v: number, hi: number) => v >= 1 && v <= hi;
  if (!within(dim, 1 << 16)) return `dim ${dim}`;
  if (!within(hidden, 1 << 18)) return `hidden_dim ${hidden}`;
  if (!within(layers, 1024)) return `n_layers ${layers}`;
  if (!within(heads, dim) || dim % heads !== 0) return `n_heads ${heads} (dim ${dim})`;
  if (!within(kv, heads) || heads % kv !== 0) return `n_kv_heads ${kv} (n_heads ${heads})`;
  if (!within(Math.abs(vocab), 1 << 22)) return `vocab_size ${vocab}`;
  if (!within(seq, 1 << 22)) return `seq_len ${seq}`;
  if ((dim / heads) % 2 !== 0) return `head size ${dim / heads} is odd`;
  return undefined;
}

export function sniffLlama2c(head: Uint8Array): true | string {
  if (head.length >= 4 && new ByteReader(head).u32() === MAGIC) return true;
  if (head.length < 28) return "file shorter than its 28-byte header";
  const why = implausible(...(readInts(head, 0) as [number, number, number, number, number, number, number]));
  return why ? `implausible header: ${why}` : true;
}

export function parseLlama2cHeader(head: Uint8Array, file: string): Llama2cHeader {
  const bad = (field: string, v: unknown, why: string) => new ModelFormatError(file, field, v, why);
  let version: 0 | 1 = 0, at = 0, headerBytes = 28;
  if (head.length >= 4 && new ByteReader(head).u32() === MAGIC) {
    if (head.length < 37) throw bad("header", undefined, `file of ${head.length} bytes is shorter than the 256-byte version 1 header`);
    const v = new ByteReader(head, 4).i32();
    if (v !== 1) throw bad("version", v, v === 2 ? "llama2.c version 2 (int8 Q8_0 export) is not supported; export version 1 (fp32) or GGUF" : "unknown llama2.c export version (budgetkv reads the legacy format and version 1)");
    version = 1; at = 8; headerBytes = 256;
  } else if (head.length < 28) {
    throw bad("header", undefined, `file of ${head.length} bytes is shorter than the 28-byte header`);
  }
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = readInts(head, at);
  const why = implausible(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen);
  if (why) throw bad("header", why, "not a valid llama2.c header");
  if (version === 1 && vocab < 0) throw bad("vocab_size", vocab, "negative in a version 1 header");
  const shared = version === 1 ? head[36] === 1 : vocab > 0;
  if (version === 1 && head[36] > 1) throw bad("shared_classifier", head[36], "expected 0 or 1");
  return { version, dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), seqLen, shared, headerBytes };
}

function segments(h: Llama2cHeader): Segment[] {
  const { dim, hiddenDim: hid, vocabSize: vocab } = h;
  const kvDim = (dim * h.nKvHeads) / h.nHeads, half = dim / h.nHeads / 2;
  const s = (name: string | null, perLayer: boolean, ...shape: number[]): Segment => ({ name, perLayer, shape });
  const embd = s("token_embd.weight", false, vocab, dim);
  const matrices = [
    s("attn_q.weight", true, dim, dim), s("attn_k.weight", true, kvDim, dim), s("attn_v.weight", true, kvDim, dim),
    s("attn_output.weight", true, dim, dim),
  ];
  const ffn = [s("ffn_gate.weight", true, hid, dim), s("ffn_down.weight", true, dim, hid), s("ffn_up.weight", true, hid, dim)];
  const cls = h.shared ? [] : [s("output.weight", false, vocab, dim)];
  if (h.version === 1) {
    return [s("attn_norm.weight", true, dim), s("ffn_norm.weight", true, dim), s("output_norm.weight", false, dim), embd,
      ...matrices, ...ffn, ...cls];
  }
  return [embd, s("attn_norm.weight", true, dim), ...matrices, s("ffn_norm.weight", true, dim), ...ffn,
    s("output_norm.weight", false, dim), s(null, false, h.seqLen, half), s(null, false, h.seqLen, half), ...cls];
}

export function llama2cConfig(h: Llama2cHeader): ModelConfig {
  const headDim = h.dim / h.nHeads;
  return {
    arch: "llama", dim: h.dim, hiddenDim: h.hiddenDim, nLayers: h.nLayers, nHeads: h.nHeads, nKvHeads: h.nKvHeads,
    headDim, vocabSize: h.vocabSize, contextLength: h.seqLen, normEps: 1e-5, ropeTheta: 10000, ropeDim: headDim,
    ropeStyle: "pairs", tiedEmbeddings: h.shared, qkvBias: false, qkNorm: false,
  };
}

export async function openLlama2c(src: ByteSource, opts: LoadOptions = {}): Promise<ModelFile> {
  const file = src.name;
  const h = parseLlama2cHeader(await src.read(0, Math.min(src.size, 256)), file);
  const segs = segments(h);
  const expected = segs.reduce((n, g) => n + 4 * (g.perLayer ? h.nLayers : 1) * g.shape.reduce((a, b) => a * b, 1), h.headerBytes);
  if (expected !== src.size) {
    throw new ModelFormatError(file, "file size", src.size, `the header (dim ${h.dim}, hidden_dim ${h.hiddenDim}, n_layers ${h.nLayers}, n_heads ${h.nHeads}, n_kv_heads ${h.nKvHeads}, vocab_size ${h.vocabSize}, seq_len ${h.seqLen}${h.shared ? "" : ", separate classifier"}) implies ${expected} bytes${expected > src.size ? " (truncated?)" : ""}`);
  }
  const config = llama2cConfig(h);
  const tensors = new Map<string, TensorEntry>();
  let pos = h.headerBytes;
  for (const g of segs) {
    const nbytes = 4 * g.shape.reduce((a, b) => a * b, 1);
    for (let l = 0; l < (g.perLayer ? h.nLayers : 1); l++) {
      const name = g.name && (g.perLayer ? `blk.${l}.${g.name}` : g.name);
      if (name) tensors.set(name, tensorEntry(src, name, "f32", g.shape, pos, nbytes, opts));
      pos += nbytes;
    }
  }
  checkTensors(config, tensors, file);
  return { format: "llama2c", name: file, config, tensors, close: () => src.close() };
}
