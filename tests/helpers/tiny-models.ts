// Tiny deterministic models of every supported architecture variant, written as a Hugging Face
// folder (config.json + model.safetensors + tokenizer.json) and as a GGUF file the way llama.cpp's
// converter would write them. Weights come from an integer hash, so an independent numpy program
// reproduces them bit for bit (tests/fixtures/tiny-arch-logits.json records the definition and a
// sha256 of the weights):
//   fmix32 = murmur3's finalizer; h(seed, t, i) = fmix32(fmix32(seed * 0x9E3779B1 + t) + i) (mod 2^32)
//   v = ((h mod 2001) - 1000) * 2^-12, exact in f32; norm weights are 1 + v
// t is a fixed id per tensor (TENSOR_SLOTS) and i the row-major index in the Hugging Face layout.
import type { ModelConfig, RopeScaling } from "../../src/model/config.ts";
import { type GGUFTensorSpec, writeGGUF } from "../../src/format/gguf-writer.ts";
import { writeSafetensors } from "../../src/format/safetensors-writer.ts";
import { canonicalShapes, ggufMetadata, hfConfigJson, hfName } from "./models.ts";

export type TinyVariant = "llama" | "llama3" | "mistral" | "qwen2" | "qwen3";
export const TINY_VARIANTS: readonly TinyVariant[] = ["llama", "llama3", "mistral", "qwen2", "qwen3"];

interface TinySpec { seed: number; config: ModelConfig }

// dim 32, 4 query heads, ffn 48, 2 layers, vocab 64 everywhere; what each variant adds:
//   llama    2 KV heads, untied, theta 1e4
//   llama3   tied, theta 5e5, rope_scaling llama3 (factor 8, low 1, high 4, original 256: with
//            head_dim 8 the four frequencies fall in all three bands of the rule: kept, blended, divided)
//   mistral  1 KV head (MQA), untied, theta 1e6
//   qwen2    q/k/v biases, tied, theta 1e6
//   qwen3    q/k RMSNorm per head, head_dim 16 != dim / heads, tied, theta 1e6
const base = {
  dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 8, vocabSize: 64, contextLength: 64,
  normEps: 1e-5, ropeTheta: 10000, ropeDim: 8, ropeStyle: "half", tiedEmbeddings: false, qkvBias: false, qkNorm: false,
} as const;
const llama3Scaling: RopeScaling = { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 256 };
const SPECS: Record<TinyVariant, TinySpec> = {
  llama: { seed: 1, config: { ...base, arch: "llama" } },
  llama3: { seed: 2, config: { ...base, arch: "llama", ropeTheta: 500000, contextLength: 2048, tiedEmbeddings: true, ropeScaling: llama3Scaling } },
  mistral: { seed: 3, config: { ...base, arch: "mistral", nKvHeads: 1, ropeTheta: 1e6 } },
  qwen2: { seed: 4, config: { ...base, arch: "qwen2", ropeTheta: 1e6, normEps: 1e-6, tiedEmbeddings: true, qkvBias: true } },
  qwen3: { seed: 5, config: { ...base, arch: "qwen3", headDim: 16, ropeDim: 16, ropeTheta: 1e6, normEps: 1e-6, tiedEmbeddings: true, qkNorm: true } },
};

// The variant's hyperparameters as the Hugging Face folder states them
export function tinyConfig(v: TinyVariant): ModelConfig { return { ...SPECS[v].config }; }

const GLOBAL_IDS: Record<string, number> = { "token_embd.weight": 0, "output_norm.weight": 1, "output.weight": 2 };
export const TENSOR_SLOTS = [
  "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
  "attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_q_norm.weight", "attn_k_norm.weight",
  "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight",
];

export function tensorId(canonical: string): number {
  const g = GLOBAL_IDS[canonical];
  if (g !== undefined) return g;
  const m = /^blk\.(\d+)\.(.+)$/.exec(canonical);
  const slot = m ? TENSOR_SLOTS.indexOf(m[2]) : -1;
  if (!m || slot < 0) throw new Error(`tiny-models: no tensor id for ${canonical}`);
  return 16 * (Number(m[1]) + 1) + slot;
}

function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

export function hashValues(seed: number, t: number, n: number, norm: boolean): Float32Array {
  const b = fmix32((Math.imul(seed, 0x9e3779b1) + t) >>> 0);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = ((fmix32((b + i) >>> 0) % 2001) - 1000) * 2 ** -12;
    out[i] = norm ? 1 + v : v;
  }
  return out;
}

export interface TinyTensor { name: string; shape: number[]; data: Float32Array } // canonical name, HF layout

// Every tensor of the variant in Hugging Face layout, in canonicalShapes order
export function tinyTensors(v: TinyVariant): TinyTensor[] {
  const { seed, config } = SPECS[v];
  return [...canonicalShapes(config)].map(([name, shape]) => ({
    name, shape, data: hashValues(seed, tensorId(name), shape.reduce((a, b) => a * b, 1), name.endsWith("norm.weight")),
  }));
}

const f32Bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// A byte-level tokenizer.json is not needed: tests feed token ids; a BPE vocabulary t0..t63, no merges
function tokenizerJson(vocab: number): string {
  const entries = Object.fromEntries(Array.from({ length: vocab }, (_, i) => [`t${i}`, i]));
  return JSON.stringify({ version: "1.0", added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
    model: { type: "BPE", vocab: entries, merges: [] } });
}

// config.json, model.safetensors (F32) and tokenizer.json, for LLM.load
export function tinyHF(v: TinyVariant): Map<string, Blob> {
  const c = SPECS[v].config;
  const extra: Record<string, unknown> = {};
  if (c.ropeScaling) {
    const s = c.ropeScaling;
    extra.rope_scaling = { rope_type: "llama3", factor: s.factor, low_freq_factor: s.lowFreqFactor, high_freq_factor: s.highFreqFactor, original_max_position_embeddings: s.originalMaxPositionEmbeddings };
    // llama.cpp's converter reads it from the top level (default 8192), transformers from rope_scaling
    extra.original_max_position_embeddings = s.originalMaxPositionEmbeddings;
  }
  if (v === "qwen3") extra.attention_bias = false;
  const st = writeSafetensors(tinyTensors(v).map((t) => ({ name: hfName(t.name), dtype: "F32", shape: t.shape, data: f32Bytes(t.data) })));
  return new Map<string, Blob>([
    ["config.json", new Blob([JSON.stringify(hfConfigJson(c, extra))])],
    ["model.safetensors", new Blob([st])],
    ["tokenizer.json", new Blob([tokenizerJson(c.vocabSize)])],
  ]);
}

// llama.cpp convert_hf_to_gguf.py LlamaModel.permute: within each head, rows (half c, j) of the
// rotate-half layout move to row 2j + c, so GGUF's adjacent-pair RoPE rotates the same pairs
//   w (nHead * headDim, nIn) -> same shape
export function permuteForPairs(w: Float32Array, nHead: number, nIn: number): Float32Array {
  const rowsPerHead = w.length / nIn / nHead, half = rowsPerHead / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHead; h++) {
    for (let c = 0; c < 2; c++) {
      for (let j = 0; j < half; j++) {
        const src = h * rowsPerHead + c * half + j, dst = h * rowsPerHead + 2 * j + c;
        out.set(w.subarray(src * nIn, (src + 1) * nIn), dst * nIn);
      }
    }
  }
  return out;
}

// rope_freqs.weight as convert_hf_to_gguf.py LlamaModel.generate_extra_tensors computes it (torch
// float32 arithmetic, each step rounded here): 1 where the wavelength is short, factor where it is
// long, 1 / ((1 - smooth) / factor + smooth) between. The angle of frequency i becomes
// pos * theta^(-2i/dim) / rope_freqs[i].
export function converterRopeFreqs(c: ModelConfig): Float32Array {
  const s = c.ropeScaling!;
  const f = Math.fround, dim = c.headDim;
  const out = new Float32Array(dim / 2);
  const lowWl = s.originalMaxPositionEmbeddings / s.lowFreqFactor, highWl = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < dim / 2; i++) {
    const freq = f(1 / f(f(c.ropeTheta) ** f((2 * i) / dim)));
    const wl = f(f(2 * Math.PI) / freq);
    if (wl < highWl) out[i] = 1;
    else if (wl > lowWl) out[i] = s.factor;
    else {
      const sm = f(f(f(s.originalMaxPositionEmbeddings) / wl) - s.lowFreqFactor) / f(s.highFreqFactor - s.lowFreqFactor);
      out[i] = f(1 / f(f(f(1 - sm) / s.factor) + sm));
    }
  }
  return out;
}

// The GGUF llama.cpp's converter would write: llama/mistral q and k rows permuted for adjacent-pair
// RoPE, qwen2/qwen3 as stored (NEOX); Llama 3 scaling as rope_freqs.weight and no scaling keys;
// no output.weight when tied; a minimal "llama" vocabulary t0..t63.
export function tinyGGUF(v: TinyVariant): Uint8Array<ArrayBuffer> {
  const c = SPECS[v].config;
  const pairs = c.arch === "llama" || c.arch === "mistral";
  const tensors: GGUFTensorSpec[] = tinyTensors(v).map((t) => {
    let data = t.data;
    if (pairs && /attn_q\.weight$/.test(t.name)) data = permuteForPairs(data, c.nHeads, c.dim);
    if (pairs && /attn_k\.weight$/.test(t.name)) data = permuteForPairs(data, c.nKvHeads, c.dim);
    return { name: t.name, dtype: "f32", shape: t.shape, data: f32Bytes(data) };
  });
  if (c.ropeScaling) tensors.push({ name: "rope_freqs.weight", dtype: "f32", shape: [c.headDim / 2], data: f32Bytes(converterRopeFreqs(c)) });
  return writeGGUF({ metadata: ggufMetadata(c), tensors });
}
