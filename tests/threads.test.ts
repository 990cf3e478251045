// Worker threads over the shared kernel memory: the linear layers split by output rows give
// the same tokens and logits as one thread, for f32 and quantized weights, prefill and decode;
// so does decode attention split by query heads, with KV policies reading its weights.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LLM } from "../src/llm.ts";
import { ATTN_DECODE_SPLIT_MIN_WORK } from "../src/wasm/ops/parallel.ts";
import { KV_TYPES } from "../src/kv/kv-type.ts";
import type { KVOptions } from "../src/kv/options.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { AUTO_MIN_PARAMS, MAX_AUTO_THREADS, autoThreads, capabilities, hardwareConcurrency } from "../src/capabilities.ts";

const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";

describe("threads: 2 equals 1", () => {
  for (const model of ["stories260K.bin", "tinystories-656k-q8_0.gguf"]) {
    it(model, { skip: needFiles(`models/${model}`) }, async () => {
      const one = await LLM.load(sharedPath("models", model), { threads: 1, maxChunk: 16 });
      const two = await LLM.load(sharedPath("models", model), { threads: 2, maxChunk: 16 });
      try {
        assert.equal(one.threads, 1);
        assert.equal(two.threads, 2, "this runtime could not start a worker thread");
        // shared memory only where workers use it: V8 keeps a few bytes per shared memory ever
        // created, so a shared one per one-thread load grew the heap over many loads
        assert.equal(one.rt.shared, false, "a one-thread load took shared memory");
        assert.equal(two.rt.shared, true);
        const prompt = { tokens: model.endsWith(".gguf") ? [1, ...one.tokenize(" Once upon a time, Lily saw a cat.", { addBos: false })] : one.tokenize(PROMPT, { addBos: true }) };
        const a = await one.complete(prompt, { temperature: 0, maxTokens: 48 });
        const la = one.engine.model.logits.toFloat32Array();
        const b = await two.complete(prompt, { temperature: 0, maxTokens: 48 });
        const lb = two.engine.model.logits.toFloat32Array();
        assert.deepEqual(b.tokens, a.tokens);
        assert.deepEqual(lb, la, "logits differ between 1 and 2 threads");
      } finally {
        one.dispose();
        two.dispose();
      }
    });
  }

  it("a runtime without shared memory runs on one thread", { skip: needFiles("models/stories260K.bin") }, async () => {
    const { createRuntime } = await import("../src/wasm/runtime.ts");
    const rt = await createRuntime({ build: "simd", shared: false });
    const llm = await LLM.load(sharedPath("models", "stories260K.bin"), { threads: 2, runtime: rt });
    try {
      assert.equal(llm.threads, 1);
      assert.equal((await llm.complete("", { temperature: 0, maxTokens: 4 })).tokens.length, 4);
    } finally {
      llm.dispose();
    }
  });
});

describe("threads: decode attention split by query heads", () => {
  // TinyStories-656K (8 query heads of 16 over 4 KV heads) past the rows where a layer's decode
  // attention splits (ATTN_DECODE_SPLIT_MIN_WORK), its trained context of 512 stretched to reach
  // them; policies that prune while decoding from what decode attention weighed: h2o (a window of
  // queries, per KV head), nucleus per head (the last query's weights; heads keep different row
  // counts, so n_h differs per head and from the position)
  const model = "tinystories-656k-q8_0.gguf";
  it("the same tokens, logits and kept rows as one thread, at every KV type and with policies that read the weights", { skip: needFiles(`models/${model}`) }, async () => {
    const probe = await LLM.load(sharedPath("models", model), { threads: 1 });
    const { nHeads, headDim } = probe.config;
    probe.dispose();
    // rows per KV head where a layer splits; the prompt twice that, so pruned caches stay above it
    const need = Math.ceil(ATTN_DECODE_SPLIT_MIN_WORK / (nHeads * headDim));
    const nPrompt = 2 * need + 16, nGen = 24;
    const contextSize = nPrompt + nGen + 8;
    const one = await LLM.load(sharedPath("models", model), { threads: 1, contextSize });
    const two = await LLM.load(sharedPath("models", model), { threads: 2, contextSize });
    try {
      assert.equal(two.threads, 2, "this runtime could not start a worker thread");
      const V = one.config.vocabSize;
      const prompt = { tokens: Array.from({ length: nPrompt }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (V - 3)))) };
      const policies: KVOptions[] = [{}, { policy: "h2o", budget: need + 8, phase: "both", interval: 8 }, { policy: "nucleus", tolerance: 0.001, perHead: true, window: 8, phase: "both", interval: 8 }];
      for (const type of KV_TYPES) for (const p of policies) {
        const kv = { type, ...p }, what = JSON.stringify(kv);
        const a = await one.complete(prompt, { temperature: 0, maxTokens: nGen, ignoreEos: true, kv });
        const la = one.engine.model.logits.toFloat32Array();
        const b = await two.complete(prompt, { temperature: 0, maxTokens: nGen, ignoreEos: true, kv });
        const lb = two.engine.model.logits.toFloat32Array();
        assert.deepEqual(b.tokens, a.tokens, what);
        assert.deepEqual(lb, la, `logits differ between 1 and 2 threads: ${what}`);
        assert.deepEqual(b.kv?.keptPerLayer, a.kv?.keptPerLayer, what);
        if (p.policy) assert.ok(a.kv!.prunes > 1 && a.kv!.keptRatio < 1, `${what}: pruned while decoding (${a.kv!.prunes} prunes, kept ${a.kv!.keptRatio})`);
        // every layer still splits after the last prune (mean rows per KV head x query heads x headDim)
        assert.ok(Math.min(...a.kv!.keptPerLayer) >= need, `${what}: a layer keeps ${Math.min(...a.kv!.keptPerLayer)} rows, under the ${need} where it splits`);
      }
    } finally {
      one.dispose();
      two.dispose();
    }
  });
});

describe('threads: "auto"', () => {
  it("picks one thread under AUTO_MIN_PARAMS and every core (at most MAX_AUTO_THREADS) from there: one rule, also capabilities().threads", () => {
    const cores = hardwareConcurrency();
    assert.ok(Number.isInteger(cores) && cores >= 1, `hardwareConcurrency() = ${cores}`);
    const many = Math.min(MAX_AUTO_THREADS, cores);
    assert.equal(autoThreads(0), 1);
    assert.equal(autoThreads(AUTO_MIN_PARAMS - 1), 1);
    assert.equal(autoThreads(NaN), 1);
    assert.equal(autoThreads(AUTO_MIN_PARAMS), many);
    assert.equal(autoThreads(135e6), many);
    assert.equal(autoThreads(), many);
    assert.equal(capabilities().threads, autoThreads());
  });

  it("runs the tiny shared models on one thread", { skip: needFiles("models/stories260K.bin", "models/tinystories-656k-q8_0.gguf") }, async () => {
    for (const model of ["stories260K.bin", "tinystories-656k-q8_0.gguf"]) {
      const llm = await LLM.load(sharedPath("models", model), { threads: "auto" });
      try {
        assert.equal(llm.threads, 1, model);
      } finally {
        llm.dispose();
      }
    }
  });

  it("rejects other strings and non-positive counts with one clear error", async () => {
    for (const threads of ["all", 0, 1.5] as unknown[]) {
      await assert.rejects(LLM.load(sharedPath("models", "stories260K.bin"), { threads: threads as number }), /invalid option threads = .*: must be an integer from 1 to 64, or "auto"/);
    }
  });
});

describe("threads: dynamic parts", () => {
  it("splitDynamic covers the range once in parts taken from a shared counter: the bits of one call", async () => {
    const { createRuntime } = await import("../src/wasm/runtime.ts");
    const { ThreadPool } = await import("../src/wasm/threads.ts");
    const rt = await createRuntime({ build: "simd", shared: true });
    const pool = await ThreadPool.create(rt, 2, ["silu_mul_f32"]);
    assert.ok(pool, "this runtime could not start a worker thread");
    try {
      for (const [n, grain] of [[1001, 4], [4096, 64], [7, 8], [0, 4]]) {
        const a = rt.fromArray(Float32Array.from({ length: Math.max(n, 1) }, (_, i) => Math.sin(i) * 9), [Math.max(n, 1)]);
        const b = rt.fromArray(Float32Array.from({ length: Math.max(n, 1) }, (_, i) => Math.cos(i * 3)), [Math.max(n, 1)]);
        const one = rt.zeros([Math.max(n, 1)]), parts = rt.fromArray(new Float32Array(Math.max(n, 1)).fill(NaN), [Math.max(n, 1)]);
        rt.k.silu_mul_f32(a.ptr, b.ptr, one.ptr, 0, n);
        const v = pool!.argv;
        v[0] = a.ptr; v[1] = b.ptr; v[2] = parts.ptr;
        pool!.splitDynamic("silu_mul_f32", 5, 3, n, grain);
        // every element written once (none left NaN) with the bits of one call
        assert.deepEqual(new Uint32Array(parts.f32().slice(0, n).buffer), new Uint32Array(one.f32().slice(0, n).buffer), `n=${n} grain=${grain}`);
        for (const t of [a, b, one, parts]) t.dispose();
      }
      assert.throws(() => pool!.splitDynamic("silu_mul_f32", 5, 3, 10, 0), /grain 0 must be a positive integer/);
      assert.throws(() => pool!.splitDynamic("gemm_f32", 9, 7, 10, 8), /kernel gemm_f32 is not registered/);
    } finally {
      pool!.dispose();
    }
  });
});
