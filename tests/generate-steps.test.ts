// Generation options for pages and benchmarks: onStep (live KV figures after the prefill and
// every decoded token), ignoreEos (exactly maxTokens), threads: "auto", and capabilities().
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { LLM } from "../src/llm.ts";
import { autoThreads, capabilities, hardwareConcurrency } from "../src/capabilities.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

describe("onStep and ignoreEos (stories260K GGUF)", { skip: needFiles("models/stories260K.gguf") }, () => {
  let llm: LLM;
  before(async () => { llm = await LLM.load(sharedPath("models", "stories260K.gguf"), { contextSize: 512 }); });
  after(() => llm?.dispose());

  const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";

  it("onStep sees the prefill, then every decoded token, with each layer's rows beside the full cache", async () => {
    const steps: { generated: number; seen: number; kept: number[]; full: number[] }[] = [];
    const kv = { policy: "dbudget", tolerance: 0.02, phase: "both" as const, interval: 16 };
    const r = await llm.complete(PROMPT, {
      temperature: 0, maxTokens: 40, kv,
      onStep: (s) => { const l = s.layers(); steps.push({ generated: s.generated, seen: s.seen, kept: l.map((x) => x.kept), full: l.map((x) => x.full) }); },
    });
    const plain = await llm.complete(PROMPT, { temperature: 0, maxTokens: 40, kv });
    assert.deepEqual(r.tokens, plain.tokens, "onStep changed the generation");
    const n = r.promptTokens.length;
    // after the prefill, then after each token's forward pass (the last token has none at the length limit)
    const decoded = r.finishReason === "length" ? r.tokens.length - 1 : r.tokens.length;
    assert.deepEqual(steps.map((s) => s.generated), Array.from({ length: decoded + 1 }, (_, i) => i));
    steps.forEach((s, i) => {
      assert.equal(s.seen, n + i);
      assert.equal(s.kept.length, llm.config.nLayers);
      for (let l = 0; l < s.kept.length; l++) assert.ok(s.full[l] === s.seen && s.kept[l] > 0 && s.kept[l] <= s.seen);
    });
    assert.ok(steps[0].kept.some((k) => k < n), "dbudget pruned nothing after the prefill");
    // the last step's rows are the last prune's rows plus the tokens decoded since
    const last = steps[steps.length - 1], since = (last.seen - n) % 16;
    assert.deepEqual(last.kept, r.kv!.keptPerLayer.map((k) => k + since));
  });

  it("a promise from onStep is awaited before the next token", async () => {
    let inside = false, overlapped = false;
    await llm.complete("Lily", {
      temperature: 0, maxTokens: 8,
      onStep: async () => {
        if (inside) overlapped = true;
        inside = true;
        await new Promise((r) => setTimeout(r, 1));
        inside = false;
      },
    });
    assert.equal(overlapped, false);
  });

  it("ignoreEos generates exactly maxTokens past EOS (TinyStories-656K ends this story early)", { skip: needFiles("models/tinystories-656k-q8_0.gguf") }, async () => {
    const m = await LLM.load(sharedPath("models", "tinystories-656k-q8_0.gguf"), { contextSize: 512 });
    try {
      const stopped = await m.complete(PROMPT, { temperature: 0, maxTokens: 200 });
      assert.equal(stopped.finishReason, "eos", "expected this greedy story to end before 200 tokens");
      const r = await m.complete(PROMPT, { temperature: 0, maxTokens: 200, ignoreEos: true });
      assert.equal(r.finishReason, "length");
      assert.equal(r.tokens.length, 200);
      assert.deepEqual(r.tokens.slice(0, stopped.tokens.length), stopped.tokens);
      // as llama.cpp's --ignore-eos: end-of-generation tokens are never sampled (their logits are -inf)
      assert.ok(!r.tokens.some((t) => m.tokenizer.eos.includes(t)), "an end-of-generation token was sampled");
    } finally {
      m.dispose();
    }
  });

  it("a bad onStep is one clear error", async () => {
    await assert.rejects(llm.complete("Lily", { onStep: 3 as never }), /invalid option onStep/);
  });
});

describe("capabilities() and threads: \"auto\"", () => {
  it("reports this runtime", () => {
    const c = capabilities();
    assert.equal(c.runtime, "Deno" in globalThis ? "deno" : "node");
    assert.equal(c.simd, true);
    // identical by default: Node (20 too: the library turns the flag on), Deno and Chromium run relaxed
    assert.equal(c.relaxedSimd, true);
    assert.equal(c.build, "relaxed");
    assert.equal(c.crossOriginIsolated, true);
    assert.equal(c.threads, Math.min(8, hardwareConcurrency()));
    assert.equal(c.threads, autoThreads());   // tests/threads.test.ts checks the rule
  });

  it("LLM.load with threads: \"auto\" runs a model under AUTO_MIN_PARAMS on one thread, and refuses nonsense", { skip: needFiles("models/stories260K.gguf") }, async () => {
    // larger models get capabilities().threads (tests/threads.test.ts checks the cut)
    const llm = await LLM.load(sharedPath("models", "stories260K.gguf"), { threads: "auto" });
    try {
      assert.equal(llm.threads, 1);
    } finally {
      llm.dispose();
    }
    await assert.rejects(LLM.load(sharedPath("models", "stories260K.gguf"), { threads: "many" as never }), /invalid option threads = "many"/);
  });
});
