// Synthetic GGUF models with the exact shape of real ones and random weights (normal, std 0.02),
// built in memory for benchmarks: f32 or a quantized type for the linear weights.
import { writeGGUF, type GGUFMetaEntry, type GGUFTensorSpec } from "../src/format/gguf-writer.ts";
import { quantizeRow } from "../src/quant/index.ts";
import type { DType } from "../src/wasm/dtype.ts";
import { mulberry32 } from "../src/util/rng.ts";

export interface Shape {
  name: string; dim: number; ffn: number; layers: number; heads: number; kvHeads: number; vocab: number;
  ctx: number; theta: number; eps: number;
}

// SmolLM2-135M: hidden 576, ffn 1536, 30 layers, 9 heads, 3 KV heads, vocab 49152, tied
export const SMOLLM2_135M: Shape = { name: "SmolLM2-135M shape", dim: 576, ffn: 1536, layers: 30, heads: 9, kvHeads: 3, vocab: 49152, ctx: 2048, theta: 100000, eps: 1e-5 };


export function syntheticGGUF(s: Shape, linear: DType, seed = 1): Uint8Array {
  const r = mulberry32(seed);
  const normal = () => { const u = Math.max(r(), 1e-12), v = r(); return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v); };
  const tensor = (name: string, shape: number[], dtype: DType, fill: () => number): GGUFTensorSpec => {
    const n = shape.reduce((a, b) => a * b, 1);
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = fill();
    const data = dtype === "f32" ? new Uint8Array(f.buffer) : quantizeRow(dtype, f);
    return { name, dtype, shape, data };
  };
  const w = (name: string, shape: number[]) => tensor(name, shape, linear, () => 0.02 * normal());
  const ones = (name: string, n: number) => tensor(name, [n], "f32", () => 1);
  const hd = s.dim / s.heads;
  const tensors: GGUFTensorSpec[] = [w("token_embd.weight", [s.vocab, s.dim]), ones("output_norm.weight", s.dim)];
  for (let l = 0; l < s.layers; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      ones(p + "attn_norm.weight", s.dim), w(p + "attn_q.weight", [s.dim, s.dim]),
      w(p + "attn_k.weight", [s.kvHeads * hd, s.dim]), w(p + "attn_v.weight", [s.kvHeads * hd, s.dim]),
      w(p + "attn_output.weight", [s.dim, s.dim]), ones(p + "ffn_norm.weight", s.dim),
      w(p + "ffn_gate.weight", [s.ffn, s.dim]), w(p + "ffn_up.weight", [s.ffn, s.dim]), w(p + "ffn_down.weight", [s.dim, s.ffn]),
    );
  }
  // a minimal SentencePiece vocabulary: <unk>, <s>, </s>, 256 byte tokens, then filler pieces
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  for (let b = 0; b < 256; b++) tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  while (tokens.length < s.vocab) tokens.push(`▁t${tokens.length}`);
  const types = tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1));
  const metadata: GGUFMetaEntry[] = [
    ["general.architecture", "string", "llama"],
    ["general.name", "string", s.name],
    ["llama.context_length", "u32", s.ctx],
    ["llama.embedding_length", "u32", s.dim],
    ["llama.feed_forward_length", "u32", s.ffn],
    ["llama.block_count", "u32", s.layers],
    ["llama.attention.head_count", "u32", s.heads],
    ["llama.attention.head_count_kv", "u32", s.kvHeads],
    ["llama.rope.dimension_count", "u32", hd],
    ["llama.rope.freq_base", "f32", s.theta],
    ["llama.attention.layer_norm_rms_epsilon", "f32", s.eps],
    ["llama.vocab_size", "u32", s.vocab],
    ["tokenizer.ggml.model", "string", "llama"],
    ["tokenizer.ggml.tokens", { array: "string" }, tokens],
    ["tokenizer.ggml.scores", { array: "f32" }, new Float32Array(s.vocab)],
    ["tokenizer.ggml.token_type", { array: "i32" }, Int32Array.from(types)],
    ["tokenizer.ggml.bos_token_id", "u32", 1],
    ["tokenizer.ggml.eos_token_id", "u32", 2],
  ];
  return writeGGUF({ metadata, tensors });
}
