// Hugging Face config.json -> ModelConfig, and Hugging Face tensor names -> canonical (GGUF) names.
// Defaults are each architecture's own (transformers' LlamaConfig, MistralConfig, Qwen2Config,
// Qwen3Config); every supported architecture defaults tie_word_embeddings to false.
import type { Arch, ModelConfig, RopeScaling } from "../model/config.ts";
import { ModelFormatError } from "./errors.ts";

const ARCHITECTURES: Record<string, Arch> = {
  LlamaForCausalLM: "llama", MistralForCausalLM: "mistral", Qwen2ForCausalLM: "qwen2", Qwen3ForCausalLM: "qwen3",
};
const MODEL_TYPES: Record<string, Arch> = { llama: "llama", mistral: "mistral", qwen2: "qwen2", qwen3: "qwen3" };
const DEFAULT_CONTEXT: Record<Arch, number> = { llama: 2048, mistral: 131072, qwen2: 32768, qwen3: 32768 };

export function hfConfig(cfg: Record<string, unknown>, file: string): ModelConfig {
  const bad = (key: string, v: unknown, why: string) => new ModelFormatError(file, key, v, why);
  const archs = cfg.architectures;
  let arch: Arch | undefined;
  if (Array.isArray(archs) && archs.length) {
    arch = ARCHITECTURES[String(archs[0])];
    if (!arch) throw bad("architectures", String(archs[0]), `unsupported architecture (budgetkv runs ${Object.keys(ARCHITECTURES).join(", ")})`);
  } else {
    arch = MODEL_TYPES[String(cfg.model_type)];
    if (!arch) throw bad("model_type", cfg.model_type, `unsupported model type (budgetkv runs ${Object.keys(MODEL_TYPES).join(", ")})`);
  }
  const num = (key: string, fallback?: number): number => {
    const v = cfg[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) throw bad(key, undefined, "required key is missing");
      return fallback;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) throw bad(key, typeof v === "object" ? JSON.stringify(v) : v, "expected a number");
    return v;
  };
  const int = (key: string, fallback?: number): number => {
    const v = num(key, fallback);
    if (!Number.isSafeInteger(v) || v < 1) throw bad(key, v, "expected a positive integer");
    return v;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = cfg[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") throw bad(key, v, "expected true or false");
    return v;
  };

  const dim = int("hidden_size");
  const nHeads = int("num_attention_heads");
  if ((cfg.head_dim === undefined || cfg.head_dim === null) && dim % nHeads !== 0) throw bad("hidden_size", dim, `not a multiple of num_attention_heads ${nHeads} and no head_dim`);
  const headDim = int("head_dim", dim / nHeads);
  // qwen2's q/k/v projections always carry biases; llama's attention_bias also adds one to o_proj
  const attnBias = bool("attention_bias", false);
  if (attnBias && (arch === "llama" || arch === "mistral")) throw bad("attention_bias", true, "biases on the attention projections (o_proj included) are not supported");
  if (bool("mlp_bias", false)) throw bad("mlp_bias", true, "biases on the MLP projections are not supported");
  const act = cfg.hidden_act ?? "silu";
  if (act !== "silu") throw bad("hidden_act", act, "only silu (SwiGLU) is supported");

  return {
    arch,
    dim,
    hiddenDim: int("intermediate_size"),
    nLayers: int("num_hidden_layers"),
    nHeads,
    nKvHeads: int("num_key_value_heads", nHeads),
    headDim,
    vocabSize: int("vocab_size"),
    contextLength: int("max_position_embeddings", DEFAULT_CONTEXT[arch]),
    normEps: num("rms_norm_eps", 1e-6),
    ropeTheta: num("rope_theta", 10000),
    ropeDim: headDim,
    ropeStyle: "half",
    ropeScaling: ropeScaling(cfg.rope_scaling, bad),
    tiedEmbeddings: bool("tie_word_embeddings", false),
    qkvBias: arch === "qwen2" || (arch === "qwen3" && attnBias),
    qkNorm: arch === "qwen3",
  };
}

function ropeScaling(v: unknown, bad: (k: string, v: unknown, why: string) => ModelFormatError): RopeScaling | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw bad("rope_scaling", JSON.stringify(v), "expected an object or null");
  const r = v as Record<string, unknown>;
  const type = r.rope_type ?? r.type;
  if (type === "default") return undefined;
  if (type !== "llama3") throw bad("rope_scaling.rope_type", type, "unsupported rope scaling (budgetkv supports llama3)");
  const n = (k: string): number => {
    const x = r[k];
    if (typeof x !== "number" || !Number.isFinite(x) || x <= 0) throw bad(`rope_scaling.${k}`, x, "expected a positive number");
    return x;
  };
  return {
    type: "llama3",
    factor: n("factor"),
    lowFreqFactor: n("low_freq_factor"),
    highFreqFactor: n("high_freq_factor"),
    originalMaxPositionEmbeddings: n("original_max_position_embeddings"),
  };
}

const LAYER_NAMES: Record<string, string> = {
  "input_layernorm.weight": "attn_norm.weight",
  "post_attention_layernorm.weight": "ffn_norm.weight",
  "self_attn.q_proj.weight": "attn_q.weight",
  "self_attn.k_proj.weight": "attn_k.weight",
  "self_attn.v_proj.weight": "attn_v.weight",
  "self_attn.o_proj.weight": "attn_output.weight",
  "self_attn.q_proj.bias": "attn_q.bias",
  "self_attn.k_proj.bias": "attn_k.bias",
  "self_attn.v_proj.bias": "attn_v.bias",
  "self_attn.q_norm.weight": "attn_q_norm.weight",
  "self_attn.k_norm.weight": "attn_k_norm.weight",
  "mlp.gate_proj.weight": "ffn_gate.weight",
  "mlp.up_proj.weight": "ffn_up.weight",
  "mlp.down_proj.weight": "ffn_down.weight",
};

// The canonical name of a Hugging Face tensor; null for tensors that carry nothing budgetkv needs
// (rotary inv_freq buffers saved by old transformers); the name itself when unknown, so the shape
// check reports it.
export function canonicalName(hf: string): string | null {
  switch (hf) {
    case "model.embed_tokens.weight": return "token_embd.weight";
    case "model.norm.weight": return "output_norm.weight";
    case "lm_head.weight": return "output.weight";
  }
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  if (!m || m[1] !== String(Number(m[1]))) return hf;
  if (m[2] === "self_attn.rotary_emb.inv_freq") return null;
  const c = LAYER_NAMES[m[2]];
  return c ? `blk.${Number(m[1])}.${c}` : hf;
}
