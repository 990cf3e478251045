// Model weights in the kernel module's memory. Linear weights stay in their stored type when a
// WASM kernel reads it (f32, q8_0, q4_0, q5_0, q4_k, q6_k); every other type (f16, bf16, q4_1, q5_1,
// q5_k) is converted to f32 once at load. Norms and biases are f32.
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import type { DType } from "../wasm/dtype.ts";
import type { ModelFile, TensorEntry } from "../format/model-file.ts";
import { dequantizeRow } from "../quant/index.ts";
import { Q_KERNEL_DTYPES } from "../wasm/ops/qmatmul.ts";
import { halfToF32InPlace } from "../wasm/ops/convert.ts";
import { ModelFormatError } from "../format/errors.ts";
import { checkTensorFinite, firstNonFiniteF32 } from "./finite.ts";

export interface LayerWeights {
  attnNorm: Tensor;  // (dim)
  wq: Tensor;        // (nHeads*headDim, dim)
  wk: Tensor;        // (nKvHeads*headDim, dim)
  wv: Tensor;        // (nKvHeads*headDim, dim)
  wo: Tensor;        // (dim, nHeads*headDim)
  bq?: Tensor; bk?: Tensor; bv?: Tensor;   // qwen2 biases
  qNorm?: Tensor; kNorm?: Tensor;          // qwen3 (headDim)
  ffnNorm: Tensor;   // (dim)
  wGate: Tensor;     // (hiddenDim, dim)
  wUp: Tensor;       // (hiddenDim, dim)
  wDown: Tensor;     // (dim, hiddenDim)
}

export interface Weights {
  tokEmbd: Tensor;   // (vocab, dim)
  outNorm: Tensor;   // (dim)
  output: Tensor;    // (vocab, dim); the same tensor as tokEmbd when tied
  layers: LayerWeights[];
  // (ropeDim/2) GGUF rope_freqs.weight when present: llama.cpp's Llama 3 rope scaling, one divisor
  // per frequency (see ropeInvFreq); read once into a host array, as only the RoPE table uses it
  ropeFreqs?: Float32Array;
  bytes: number;     // heap bytes held
  dispose(): void;
}

const KEEP: readonly DType[] = ["f32", ...Q_KERNEL_DTYPES];

export async function loadWeights(rt: Runtime, file: ModelFile, onTensor?: (name: string) => void): Promise<Weights> {
  const cfg = file.config;
  const owned: Tensor[] = [];
  const get = async (name: string, shape: number[], linear: boolean): Promise<Tensor> => {
    const e = file.tensors.get(name);
    if (!e) throw new ModelFormatError(file.name, `tensor ${name}`, undefined, "required tensor is missing");
    checkShape(file.name, e, shape);
    const t = await toTensor(rt, file.name, e, linear);
    owned.push(t);
    checkTensorFinite(t, name, file.name);
    onTensor?.(name);
    return t;
  };
  const opt = async (name: string, shape: number[]): Promise<Tensor | undefined> =>
    file.tensors.has(name) ? get(name, shape, false) : undefined;

  try {
    const { dim, hiddenDim, nHeads, nKvHeads, headDim, vocabSize } = cfg;
    const qDim = nHeads * headDim, kvDim = nKvHeads * headDim;
    const tokEmbd = await get("token_embd.weight", [vocabSize, dim], true);
    const outNorm = await get("output_norm.weight", [dim], false);
    const output = cfg.tiedEmbeddings ? tokEmbd : await get("output.weight", [vocabSize, dim], true);
    const layers: LayerWeights[] = [];
    for (let l = 0; l < cfg.nLayers; l++) {
      const p = `blk.${l}.`;
      layers.push({
        attnNorm: await get(p + "attn_norm.weight", [dim], false),
        wq: await get(p + "attn_q.weight", [qDim, dim], true),
        wk: await get(p + "attn_k.weight", [kvDim, dim], true),
        wv: await get(p + "attn_v.weight", [kvDim, dim], true),
        wo: await get(p + "attn_output.weight", [dim, qDim], true),
        bq: cfg.qkvBias ? await get(p + "attn_q.bias", [qDim], false) : undefined,
        bk: cfg.qkvBias ? await get(p + "attn_k.bias", [kvDim], false) : undefined,
        bv: cfg.qkvBias ? await get(p + "attn_v.bias", [kvDim], false) : undefined,
        qNorm: cfg.qkNorm ? await get(p + "attn_q_norm.weight", [headDim], false) : await opt(p + "attn_q_norm.weight", [headDim]),
        kNorm: cfg.qkNorm ? await get(p + "attn_k_norm.weight", [headDim], false) : await opt(p + "attn_k_norm.weight", [headDim]),
        ffnNorm: await get(p + "ffn_norm.weight", [dim], false),
        wGate: await get(p + "ffn_gate.weight", [hiddenDim, dim], true),
        wUp: await get(p + "ffn_up.weight", [hiddenDim, dim], true),
        wDown: await get(p + "ffn_down.weight", [dim, hiddenDim], true),
      });
    }
    const ropeFreqs = await hostF32(file, "rope_freqs.weight", [cfg.ropeDim / 2]);
    if (ropeFreqs) onTensor?.("rope_freqs.weight");
    const bytes = owned.reduce((s, t) => s + t.heapBytes, 0);
    return { tokEmbd, outNorm, output, layers, ropeFreqs, bytes, dispose: () => { for (const t of owned) t.dispose(); owned.length = 0; } };
  } catch (e) {
    for (const t of owned) t.dispose();
    throw e;
  }
}

// Heap bytes loadWeights will take for `file`'s tensors, from their shapes alone: kernel-read
// types as stored, everything else as f32 (an estimate within the allocator's 64-byte rounding).
export function weightHeapBytes(file: ModelFile): number {
  let n = 0;
  for (const e of file.tensors.values()) {
    if (e.name === "rope_freqs.weight") continue;
    const numel = e.shape.reduce((a, b) => a * b, 1);
    n += KEEP.includes(e.dtype) && e.dtype !== "f32" && e.shape.length > 1 ? e.nbytes : 4 * numel;
  }
  return n;
}

// An optional small f32 tensor copied out of the file into a host array
async function hostF32(file: ModelFile, name: string, shape: number[]): Promise<Float32Array | undefined> {
  const e = file.tensors.get(name);
  if (!e) return undefined;
  checkShape(file.name, e, shape);
  if (e.dtype !== "f32") throw new ModelFormatError(file.name, `tensor ${name} type`, e.dtype, "expected f32");
  const bytes = await e.read();
  const a = new Float32Array(bytes.slice().buffer, 0, bytes.length / 4);
  const i = firstNonFiniteF32(a);
  if (i >= 0 || a.some((x) => x <= 0)) throw new ModelFormatError(file.name, `tensor ${name}`, undefined, `element ${i >= 0 ? i : a.findIndex((x) => x <= 0)} is ${a[i >= 0 ? i : a.findIndex((x) => x <= 0)]}: rope frequency divisors must be positive and finite`);
  return a;
}

function checkShape(file: string, e: TensorEntry, shape: number[]): void {
  if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
    throw new ModelFormatError(file, `tensor ${e.name} shape`, `[${e.shape.join(", ")}]`, `expected [${shape.join(", ")}] from the model's hyperparameters`);
  }
}

async function toTensor(rt: Runtime, fileName: string, e: TensorEntry, linear: boolean): Promise<Tensor> {
  const bytes = await e.read();
  if (linear && KEEP.includes(e.dtype) && e.dtype !== "f32") {
    const t = rt.tensor(e.dtype, e.shape);
    t.bytes().set(bytes);
    return t;
  }
  const t = rt.tensor("f32", e.shape);
  if (e.dtype === "f32") t.bytes().set(bytes);
  else if (e.dtype === "f16" || e.dtype === "bf16") {
    // the halves go into the upper half of the f32 tensor, and the kernel widens them in place
    if (bytes.length !== t.size * 2) {
      t.dispose();
      throw new ModelFormatError(fileName, `tensor ${e.name} data`, `${bytes.length} bytes`, `expected ${t.size * 2} for ${t.size} ${e.dtype} values`);
    }
    t.bytes().set(bytes, t.size * 2);
    halfToF32InPlace(t, e.dtype);
  } else {
    const row = e.shape[e.shape.length - 1];
    const rows = t.size / row;
    const rowBytes = bytes.length / rows;
    const out = t.f32();
    for (let r = 0; r < rows; r++) dequantizeRow(e.dtype, bytes.subarray(r * rowBytes, (r + 1) * rowBytes), row, out, r * row);
  }
  return t;
}
