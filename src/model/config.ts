// The hyperparameters of a Llama-family model, normalized from GGUF metadata, a Hugging Face
// config.json or a llama2.c header. Every loader produces one of these; the transformer reads
// nothing else.

export type Arch = "llama" | "mistral" | "qwen2" | "qwen3";
export const ARCHS: readonly Arch[] = ["llama", "mistral", "qwen2", "qwen3"];

export interface RopeScaling {
  // Llama 3 frequency scaling (Hugging Face rope_type "llama3")
  type: "llama3";
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface ModelConfig {
  arch: Arch;
  dim: number;            // hidden size
  hiddenDim: number;      // feed-forward size
  nLayers: number;
  nHeads: number;         // query heads
  nKvHeads: number;       // key/value heads (GQA: nHeads % nKvHeads == 0)
  headDim: number;        // usually dim / nHeads
  vocabSize: number;
  contextLength: number;  // the longest sequence the model was trained for
  normEps: number;        // RMSNorm epsilon
  ropeTheta: number;
  ropeDim: number;        // rotated dims per head (<= headDim)
  // "pairs": rotate (x[2i], x[2i+1]) as GGUF llama/mistral and llama2.c store q/k;
  // "half": rotate (x[i], x[i + d/2]) as Hugging Face checkpoints and GGUF qwen2/qwen3 do
  ropeStyle: "pairs" | "half";
  ropeScaling?: RopeScaling;
  tiedEmbeddings: boolean; // the output head reuses token_embd
  qkvBias: boolean;        // qwen2: q/k/v projections have biases
  qkNorm: boolean;         // qwen3: RMSNorm on q and k per head before RoPE
}

// Canonical tensor names (GGUF's), which every loader maps its own names onto:
//   token_embd.weight (vocab, dim)        output_norm.weight (dim)      output.weight (vocab, dim)
//   blk.N.attn_norm.weight (dim)          blk.N.ffn_norm.weight (dim)
//   blk.N.attn_q.weight (nHeads*headDim, dim)   blk.N.attn_k.weight / attn_v.weight (nKvHeads*headDim, dim)
//   blk.N.attn_output.weight (dim, nHeads*headDim)
//   blk.N.attn_q.bias / attn_k.bias / attn_v.bias (qwen2)   blk.N.attn_q_norm.weight / attn_k_norm.weight (headDim, qwen3)
//   blk.N.ffn_gate.weight / ffn_up.weight (hiddenDim, dim)  blk.N.ffn_down.weight (dim, hiddenDim)

export function validateConfig(c: ModelConfig, file: string): void {
  const ints: (keyof ModelConfig)[] = ["dim", "hiddenDim", "nLayers", "nHeads", "nKvHeads", "headDim", "vocabSize", "contextLength", "ropeDim"];
  for (const k of ints) {
    const v = c[k] as number;
    if (!Number.isSafeInteger(v) || v < 1 || v > 1 << 24) throw new Error(`${file}: ${k} = ${v}: must be a positive integer`);
  }
  if (!ARCHS.includes(c.arch)) throw new Error(`${file}: architecture "${c.arch}" is not supported (budgetkv runs ${ARCHS.join(", ")})`);
  if (c.nHeads % c.nKvHeads !== 0) throw new Error(`${file}: head_count ${c.nHeads} is not a multiple of head_count_kv ${c.nKvHeads}`);
  if (c.ropeDim > c.headDim || c.ropeDim % 2 !== 0) throw new Error(`${file}: rope dimension ${c.ropeDim} must be even and <= head_dim ${c.headDim}`);
  if (!(c.normEps > 0 && c.normEps < 1)) throw new Error(`${file}: rms norm epsilon ${c.normEps} out of range`);
  if (!(c.ropeTheta > 0) || !Number.isFinite(c.ropeTheta)) throw new Error(`${file}: rope theta ${c.ropeTheta} must be positive and finite`);
  if (c.ropeScaling && !(c.ropeScaling.highFreqFactor > c.ropeScaling.lowFreqFactor)) throw new Error(`${file}: rope scaling high_freq_factor ${c.ropeScaling.highFreqFactor} must be above low_freq_factor ${c.ropeScaling.lowFreqFactor}`);
}
