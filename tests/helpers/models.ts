// Small random models written in memory with the GGUF and safetensors writers, for loader tests.
import type { DType } from "../../src/wasm/dtype.ts";
import { bytesFor } from "../../src/wasm/dtype.ts";
import type { ModelConfig } from "../../src/model/config.ts";
import { type GGUFMetaEntry, type GGUFTensorSpec, writeGGUF } from "../../src/format/gguf-writer.ts";
import type { SafetensorsTensorSpec } from "../../src/format/safetensors-writer.ts";
import type { Rng } from "./rand.ts";

export function randomBytes(rng: Rng, n: number): Uint8Array<ArrayBuffer> {
  const w = new Uint32Array(Math.ceil(n / 4));
  for (let i = 0; i < w.length; i++) w[i] = rng.next() * 4294967296;
  return new Uint8Array(w.buffer, 0, n);
}

export function f32Bytes(a: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(a).buffer);
}

// A config to build models from; headDim may differ from dim/nHeads (qwen3)
export function smallConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  const c: ModelConfig = {
    arch: "llama", dim: 64, hiddenDim: 96, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 16, vocabSize: 40,
    contextLength: 128, normEps: 1e-5, ropeTheta: 10000, ropeDim: 16, ropeStyle: "pairs",
    tiedEmbeddings: false, qkvBias: false, qkNorm: false, ...over,
  };
  return c;
}

// canonical name -> shape for every tensor a config implies
export function canonicalShapes(c: ModelConfig): Map<string, number[]> {
  const q = c.nHeads * c.headDim, kv = c.nKvHeads * c.headDim;
  const m = new Map<string, number[]>([["token_embd.weight", [c.vocabSize, c.dim]], ["output_norm.weight", [c.dim]]]);
  if (!c.tiedEmbeddings) m.set("output.weight", [c.vocabSize, c.dim]);
  for (let l = 0; l < c.nLayers; l++) {
    const p = `blk.${l}.`;
    m.set(p + "attn_norm.weight", [c.dim]);
    m.set(p + "attn_q.weight", [q, c.dim]);
    m.set(p + "attn_k.weight", [kv, c.dim]);
    m.set(p + "attn_v.weight", [kv, c.dim]);
    m.set(p + "attn_output.weight", [c.dim, q]);
    if (c.qkvBias) { m.set(p + "attn_q.bias", [q]); m.set(p + "attn_k.bias", [kv]); m.set(p + "attn_v.bias", [kv]); }
    if (c.qkNorm) { m.set(p + "attn_q_norm.weight", [c.headDim]); m.set(p + "attn_k_norm.weight", [c.headDim]); }
    m.set(p + "ffn_norm.weight", [c.dim]);
    m.set(p + "ffn_gate.weight", [c.hiddenDim, c.dim]);
    m.set(p + "ffn_up.weight", [c.hiddenDim, c.dim]);
    m.set(p + "ffn_down.weight", [c.dim, c.hiddenDim]);
  }
  return m;
}

export function ggufMetadata(c: ModelConfig): GGUFMetaEntry[] {
  const a = c.arch;
  return [
    ["general.architecture", "string", a],
    ["general.name", "string", "random test model"],
    [`${a}.context_length`, "u32", c.contextLength],
    [`${a}.embedding_length`, "u32", c.dim],
    [`${a}.feed_forward_length`, "u32", c.hiddenDim],
    [`${a}.block_count`, "u32", c.nLayers],
    [`${a}.attention.head_count`, "u32", c.nHeads],
    [`${a}.attention.head_count_kv`, "u32", c.nKvHeads],
    [`${a}.attention.key_length`, "u32", c.headDim],
    [`${a}.attention.value_length`, "u32", c.headDim],
    [`${a}.rope.dimension_count`, "u32", c.ropeDim],
    [`${a}.rope.freq_base`, "f32", c.ropeTheta],
    [`${a}.attention.layer_norm_rms_epsilon`, "f32", c.normEps],
    [`${a}.vocab_size`, "u32", c.vocabSize],
    ["tokenizer.ggml.model", "string", "llama"],
    ["tokenizer.ggml.tokens", { array: "string" }, Array.from({ length: c.vocabSize }, (_, i) => `t${i}`)],
    ["tokenizer.chat_template", "string", "{% for m in messages %}{{ m.content }}{% endfor %}"],
  ];
}

// Random tensors for every canonical tensor; matrices in `dtype(name)`, vectors f32.
export function ggufTensors(c: ModelConfig, rng: Rng, dtype: (name: string) => DType = () => "f32"): GGUFTensorSpec[] {
  return [...canonicalShapes(c)].map(([name, shape]) => {
    const dt = shape.length === 1 ? "f32" : dtype(name);
    return { name, dtype: dt, shape, data: randomBytes(rng, bytesFor(dt, shape)) };
  });
}

export function ggufModel(c: ModelConfig, rng: Rng, dtype?: (name: string) => DType, opts?: { version?: 2 | 3; alignment?: number }): { bytes: Uint8Array<ArrayBuffer>; tensors: GGUFTensorSpec[] } {
  const tensors = ggufTensors(c, rng, dtype);
  return { bytes: writeGGUF({ metadata: ggufMetadata(c), tensors }, opts), tensors };
}

// Hugging Face names and config.json for a config (inverse of the loader's mapping)
const HF_LAYER: Record<string, string> = {
  "attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
  "attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
  "attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
  "attn_q.bias": "self_attn.q_proj.bias", "attn_k.bias": "self_attn.k_proj.bias", "attn_v.bias": "self_attn.v_proj.bias",
  "attn_q_norm.weight": "self_attn.q_norm.weight", "attn_k_norm.weight": "self_attn.k_norm.weight",
  "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight", "ffn_down.weight": "mlp.down_proj.weight",
};

export function hfName(canonical: string): string {
  if (canonical === "token_embd.weight") return "model.embed_tokens.weight";
  if (canonical === "output_norm.weight") return "model.norm.weight";
  if (canonical === "output.weight") return "lm_head.weight";
  const m = /^blk\.(\d+)\.(.+)$/.exec(canonical)!;
  return `model.layers.${m[1]}.${HF_LAYER[m[2]]}`;
}

const HF_ARCH = { llama: "LlamaForCausalLM", mistral: "MistralForCausalLM", qwen2: "Qwen2ForCausalLM", qwen3: "Qwen3ForCausalLM" };

export function hfConfigJson(c: ModelConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: [HF_ARCH[c.arch]], model_type: c.arch, hidden_size: c.dim, intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers, num_attention_heads: c.nHeads, num_key_value_heads: c.nKvHeads, head_dim: c.headDim,
    vocab_size: c.vocabSize, max_position_embeddings: c.contextLength, rms_norm_eps: c.normEps, rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tiedEmbeddings, hidden_act: "silu", ...extra,
  };
}

const ST_SIZE: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export function hfTensors(c: ModelConfig, rng: Rng, dtype: (name: string) => string = () => "F32"): SafetensorsTensorSpec[] {
  return [...canonicalShapes(c)].map(([name, shape]) => {
    const dt = dtype(name);
    return { name: hfName(name), dtype: dt, shape, data: randomBytes(rng, shape.reduce((a, b) => a * b, 1) * ST_SIZE[dt]) };
  });
}
