// Every supported architecture variant against an independent implementation: tiny random models
// (tests/helpers/tiny-models.ts) of llama, llama with Llama 3 rope scaling, mistral (MQA), qwen2
// (q/k/v biases) and qwen3 (q/k norm, head_dim != dim / heads), loaded from a Hugging Face folder
// and from a GGUF written as llama.cpp's converter would, give the logits of a numpy forward pass
// in Hugging Face semantics (tests/fixtures/tiny-arch-logits.json, made by
// tests/fixtures/producers/tiny_arch.py) at every position.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LLM } from "../src/llm.ts";
import { fixturePath } from "./helpers/shared.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import { TINY_VARIANTS, type TinyVariant, converterRopeFreqs, tensorId, tinyConfig, tinyGGUF, tinyHF, tinyTensors } from "./helpers/tiny-models.ts";

interface VariantFixture {
  config: Record<string, unknown>;
  weights_sha256: string;
  logits: { position: number; logits: number[] }[];
  rope_freqs_converter_f32?: number[];
  max_abs_diff_without_scaling?: number;
}
const fx = JSON.parse(readFileSync(fixturePath("tiny-arch-logits.json"), "utf8")) as { sequence: number[]; variants: Record<TinyVariant, VariantFixture> };
const seq = fx.sequence;

// Tolerance against the float64 numpy logits. The weights are exact in f32 in both programs, so
// only our f32 arithmetic differs: dot products of 32-64 terms, two layers, softmax over <= 12
// positions, logits of magnitude <= 3. Each f32 rounding is ~6e-8 relative; carried through the
// network this gives ~1e-6 on the logits (measured: at most 1.1e-6 over both builds, every variant
// and every loading path). 1e-5 leaves ~9x for other hardware (relaxed-SIMD FMA fused or not) and
// is ~8600x below the effect of the one bug this test found (Llama 3 scaling left out: 0.086,
// the fixture's max_abs_diff_without_scaling).
const TOL = 1e-5;
// Between our two formats: the same f32 error budget, in a different order (adjacent-pair RoPE
// over permuted rows; rope_freqs rounded to f32 against the f64 rule). Measured <= 1.2e-6.
const FORMAT_TOL = 1e-5;

async function sha256Hex(chunks: Uint8Array[]): Promise<string> {
  const all = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) { all.set(c, o); o += c.length; }
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// logits after reading seq[0..p], for every p
async function allLogits(llm: LLM): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let p = 0; p < seq.length; p++) {
    await llm.complete({ tokens: seq.slice(0, p + 1) }, { maxTokens: 0 });
    out.push(llm.engine.model.logits.f32().slice());
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe("tiny models: the generator reproduces the numpy program's weights", () => {
  for (const v of TINY_VARIANTS) {
    it(`${v}: sha256 of every tensor (sorted by id) and the hyperparameters match the fixture`, async () => {
      const f = fx.variants[v], c = tinyConfig(v);
      const tensors = tinyTensors(v).sort((a, b) => tensorId(a.name) - tensorId(b.name));
      assert.equal(await sha256Hex(tensors.map((t) => new Uint8Array(t.data.buffer))), f.weights_sha256);
      const want = f.config as Record<string, number | boolean | string>;
      assert.deepEqual(
        [c.arch, c.contextLength, c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.headDim, c.vocabSize, c.ropeTheta, c.normEps, c.tiedEmbeddings, c.qkvBias, c.qkNorm],
        [want.arch, want.ctx, want.dim, want.ffn, want.layers, want.heads, want.kv, want.head_dim, want.vocab, want.theta, want.eps, want.tied, want.bias, want.qknorm]);
      const s = c.ropeScaling;
      assert.deepEqual(s && { factor: s.factor, low_freq_factor: s.lowFreqFactor, high_freq_factor: s.highFreqFactor, original_max_position_embeddings: s.originalMaxPositionEmbeddings }, f.config.scaling);
    });
  }

  it("llama3: rope_freqs.weight equals the converter's float32 values (numpy emulation) within 2 ulp", () => {
    const want = fx.variants.llama3.rope_freqs_converter_f32!;
    const got = converterRopeFreqs(tinyConfig("llama3"));
    assert.equal(got.length, want.length);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 2 * 2 ** -23 * Math.abs(want[i]), `rope_freqs[${i}] ${got[i]} vs ${want[i]}`);
    // the frequencies fall in all three bands of the rule: kept, blended, divided by the factor
    assert.equal(got[0], 1);
    assert.ok(got[1] > 1 && got[1] < 8);
    assert.equal(got[3], 8);
  });
});

for (const build of WASM_BUILDS) {
  for (const v of TINY_VARIANTS) {
    describe(`tiny ${v} (${build}) against numpy in Hugging Face semantics`, { skip: skipReason(build) }, () => {
      const f = fx.variants[v];
      const got: Record<string, Float32Array[]> = {};
      const at = async (maxChunk?: number) => ({ runtime: await runtimeFor(build), maxChunk });
      // one token per forward runs the decode kernels (gemv, attention over the cache) at every
      // position; the default chunk runs the prefill ones (gemm, causal attention in the chunk)
      const loads: [string, () => Promise<LLM>][] = [
        ["hf", async () => LLM.load(tinyHF(v), await at())],
        ["hf, one token per forward", async () => LLM.load(tinyHF(v), await at(1))],
        ["gguf", async () => LLM.load(tinyGGUF(v), await at())],
        ["gguf, one token per forward", async () => LLM.load(tinyGGUF(v), await at(1))],
      ];
      before(async () => {
        for (const [name, load] of loads) {
          const llm = await load();
          try { got[name] = await allLogits(llm); } finally { llm.dispose(); }
        }
      });
      after(() => { for (const k of Object.keys(got)) delete got[k]; });

      for (const [name] of loads) {
        it(`${name}: logits within ${TOL} of numpy at all ${seq.length} positions`, () => {
          assert.equal(f.logits.length, seq.length);
          for (const { position, logits } of f.logits) {
            const d = maxDiff(got[name][position], logits);
            assert.ok(d <= TOL, `${v} ${name} position ${position}: max |logit diff| ${d}`);
          }
        });
      }

      it(`the HF folder and the GGUF agree within ${FORMAT_TOL}`, () => {
        for (let p = 0; p < seq.length; p++) {
          for (const [a, b] of [["hf", "gguf"], ["hf, one token per forward", "gguf, one token per forward"]]) {
            const d = maxDiff(got[a][p], got[b][p]);
            assert.ok(d <= FORMAT_TOL, `${v} position ${p}: ${a} vs ${b} max |logit diff| ${d}`);
          }
        }
      });
    });
  }
}
