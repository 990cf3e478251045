// KV policies on a real model (stories260K): budgets kept exactly, exempt layers whole,
// tolerance 0 lossless bit for bit, memory really released, decode-time pruning.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { LLM } from "../src/llm.ts";
import { createRuntime } from "../src/wasm/runtime.ts";
import { buildPolicy, POLICIES } from "../src/kv/registry.ts";
import { OutOfMemoryError } from "../src/wasm/heap.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

const MODEL = "models/stories260K.bin";
const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high. Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do.";

describe("KV policy registry", () => {
  it("names an unknown policy, an unknown option and an out-of-range value", () => {
    assert.throws(() => buildPolicy({ policy: "bogus" }), /unknown KV policy "bogus" \(known: full, dbudget, nucleus/);
    assert.throws(() => buildPolicy({ policy: "snapkv", tolerance: 0.1 }), /"snapkv" has no option "tolerance"/);
    assert.throws(() => buildPolicy({ policy: "streaming", ratio: 1.5 }), /invalid option ratio = 1.5: must be <= 1/);
    assert.throws(() => buildPolicy({ policy: "streaming", ratio: 0 }), /invalid option ratio = 0: must be > 0/);
    assert.throws(() => buildPolicy({ policy: "h2o", budget: 2.5 }), /invalid option budget = 2.5: expected an integer/);
    assert.throws(() => buildPolicy({ policy: "dbudget", exemptLayers: "0" }), /exemptLayers = "0": expected a list/);
    assert.throws(() => buildPolicy({ policy: "streaming", ratio: 0.5, budget: 10 }), /ratio or budget, not both/);
    for (const name of POLICIES.keys()) assert.equal(buildPolicy({ policy: name }).name, name);
  });
});

describe("KV policies on stories260K", { skip: needFiles(MODEL, "models/tok512.bin") }, () => {
  let llm: LLM;
  let n: number;
  before(async () => {
    llm = await LLM.load(sharedPath(MODEL));
    n = llm.tokenize(PROMPT, { addBos: true }).length;
  });
  after(() => llm?.dispose());

  it("tolerance 0 keeps everything and generates the full cache's tokens bit for bit", async () => {
    const full = await llm.complete(PROMPT, { temperature: 0, maxTokens: 48 });
    const fullLogits = llm.engine.model.logits.toFloat32Array();
    for (const policy of ["dbudget", "nucleus"]) {
      const r = await llm.complete(PROMPT, { temperature: 0, maxTokens: 48, kv: { policy, tolerance: 0 } });
      assert.deepEqual(r.tokens, full.tokens, policy);
      assert.deepEqual(llm.engine.model.logits.toFloat32Array(), fullLogits, `${policy} logits`);
      assert.equal(r.kv!.keptRatio, 1);
      assert.equal(r.kv!.bytesKept, r.kv!.bytesFull);
    }
  });

  it("every fixed-budget baseline keeps exactly its budget, as a ratio and as a token count", async () => {
    for (const policy of ["streaming", "h2o", "snapkv", "tova", "knorm", "random"]) {
      for (const kv of [{ ratio: 0.5 }, { budget: 40 }]) {
        const r = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy, ...kv } });
        const want = kv.budget ?? Math.round(0.5 * n);
        assert.deepEqual(r.kv!.keptPerLayer, Array(5).fill(want), `${policy} ${JSON.stringify(kv)}`);
        assert.ok(Math.abs(r.kv!.keptRatio - want / n) < 1e-12);
      }
    }
  });

  it("pyramidkv gives lower layers more and keeps its mean budget exactly, even when a layer is full", async () => {
    for (const kv of [{ budget: 48 }, { ratio: 0.9 }, { ratio: 0.5 }]) {
      const r = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy: "pyramidkv", ...kv } });
      const k = r.kv!.keptPerLayer;
      for (let l = 1; l < k.length; l++) assert.ok(k[l] <= k[l - 1], `layer ${l}: ${k}`);
      assert.ok(k[0] > k[4]);
      assert.ok(k.every((x) => x <= n));
      const want = kv.budget ?? Math.round(kv.ratio! * n);
      assert.equal(k.reduce((a, b) => a + b, 0), Math.round(5 * want), `sum of ${k} for ${JSON.stringify(kv)}`);
    }
  });

  it("exempt layers keep everything: dbudget's 0 and 1 by default, any list when asked", async () => {
    const r = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy: "dbudget" } });
    assert.equal(r.kv!.keptPerLayer[0], n);
    assert.equal(r.kv!.keptPerLayer[1], n);
    assert.ok(r.kv!.keptPerLayer.slice(2).some((k) => k < n), "dbudget pruned nothing on this prompt");
    const s = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy: "streaming", ratio: 0.25, exemptLayers: [2, 4] } });
    assert.deepEqual(s.kv!.keptPerLayer, [Math.round(n / 4), Math.round(n / 4), n, Math.round(n / 4), n]);
    const nuc = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy: "nucleus" } });
    assert.equal(nuc.kv!.keptPerLayer[0], n);
  });

  it("pruning returns the bytes to the heap (measured)", async () => {
    const heap = llm.rt.heap;
    const before = heap.stats.bytesInUse;
    const r = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy: "streaming", ratio: 0.25 } });
    assert.equal(heap.stats.bytesInUse, before, "the generation left no block behind");
    const kv = r.kv!;
    assert.ok(kv.bytesKept < kv.bytesFull * 0.5, `${kv.bytesKept} of ${kv.bytesFull}`);
    // the same figures seen from the allocator, during a generation: while it decodes, the heap
    // holds exactly the kept blocks; at its peak (a prune copies one KV head's kept rows into a
    // new block before freeing the old one) the full cache plus one head's new block
    let seen = 0;
    heap.resetPeak();
    const g = llm.generate(PROMPT, { temperature: 0, maxTokens: 8, kv: { policy: "streaming", ratio: 0.25 } });
    for await (const _ of g) seen = Math.max(seen, heap.stats.bytesInUse - before);
    const gr = (await g.result).kv!;
    const peak = heap.stats.peakBytesInUse - before;
    assert.equal(seen, gr.bytesKept, "bytes in use while decoding = the kept blocks");
    const nBlocks = llm.engine.model.cfg.nLayers * llm.engine.model.cfg.nKvHeads;
    assert.ok(peak >= gr.bytesFull, `peak ${peak} holds at least the full cache ${gr.bytesFull}`);
    assert.ok(peak <= gr.bytesFull + gr.bytesKept / nBlocks + 1024, `peak ${peak} > full ${gr.bytesFull} + one kept block ${gr.bytesKept / nBlocks} + 1 KiB`);
    const full = await llm.complete(PROMPT, { temperature: 0, maxTokens: 8 });
    assert.ok(full.kv!.bytesKept - kv.bytesKept > 0);
  });

  it("pruning during decode keeps a generation going past what the full cache can hold", async () => {
    const rt = await createRuntime({ build: "simd" });
    const small = await LLM.load(sharedPath(MODEL), { runtime: rt });
    try {
      // room for the weights, run state and about 120 cached tokens (1360 bytes each)
      rt.heap.limitBytes = rt.heap.stats.bytesInUse + 120 * 1360 + 64 * 1024;
      await assert.rejects(small.complete("", { temperature: 0, maxTokens: 300 }), OutOfMemoryError);
      const r = await small.complete("", { temperature: 0, maxTokens: 300, kv: { policy: "streaming", budget: 64, phase: "decode", interval: 32 } });
      // run.c semantics: a llama2.c model's sample ends at BOS; either way it ran far past 120 tokens
      assert.ok(r.tokens.length >= 250, `generated ${r.tokens.length} (${r.finishReason})`);
      assert.ok(r.kv!.prunes >= Math.floor(r.tokens.length / 32) - 1, `${r.kv!.prunes} prunes`);
      assert.ok(r.kv!.keptPerLayer.every((k) => k === 64));
    } finally {
      small.dispose();
    }
  });

  it("attention-scored policies prune during decode from the window the kernels accumulated", async () => {
    for (const kv of [{ policy: "snapkv", budget: 48, phase: "both", interval: 32 }, { policy: "h2o", budget: 40, phase: "decode", interval: 16 }] as const) {
      const r = await llm.complete(PROMPT, { temperature: 0, maxTokens: 100, kv });
      assert.equal(r.tokens.length, 100);
      assert.equal(r.kv!.prunes, Math.floor(100 / kv.interval) - (100 % kv.interval === 0 ? 1 : 0) + (kv.phase === "both" ? 1 : 0));
      assert.deepEqual(r.kv!.keptPerLayer, Array(5).fill(kv.budget), JSON.stringify(kv));
    }
    const d = await llm.complete(PROMPT, { temperature: 0, maxTokens: 60, kv: { policy: "dbudget", phase: "both", interval: 16 } });
    assert.ok(d.kv!.keptPerLayer[2] < d.kv!.keptPerLayer[0]);
  });

  it("the window records exactly its queries: the prompt's last w, then the last w of every decode interval", async () => {
    const model = llm.engine.model, forward = model.forward;
    const recorded: number[] = [];
    model.forward = function (tokens, o) {
      if (o.window) for (let i = o.window.row0; i < o.m; i++) recorded.push(o.pos0 + i);
      return forward.call(this, tokens, o);
    };
    try {
      const w = 8, decoded = 40; // maxTokens 41: the last token is sampled, not run
      for (const [phase, interval] of [["prefill", 0], ["both", 8], ["both", 16], ["decode", 8], ["decode", 12]] as const) {
        recorded.length = 0;
        const kv = { policy: "h2o", budget: 40, window: w, phase, ...(interval ? { interval } : {}) };
        const r = await llm.complete(PROMPT, { temperature: 0, maxTokens: decoded + 1, kv });
        const want: number[] = [];
        if (phase !== "decode") for (let p = n - w; p < n; p++) want.push(p);
        for (let end = n + interval; interval && end <= n + decoded; end += interval) for (let p = end - w; p < end; p++) want.push(p);
        assert.deepEqual(recorded, want, JSON.stringify(kv));
        assert.equal(r.kv!.prunes, (phase !== "decode" ? 1 : 0) + (interval ? Math.floor(decoded / interval) : 0), JSON.stringify(kv));
      }
    } finally {
      model.forward = forward;
    }
  });

  it("a policy reading the last query gets exactly the last query's row: nucleus signal=last over a window of 8 cuts as over a window of 1", async () => {
    const model = llm.engine.model, forward = model.forward;
    const single: number[] = [];
    model.forward = function (tokens, o) {
      if (o.window && o.m === 1) single.push(o.pos0);
      return forward.call(this, tokens, o);
    };
    try {
      for (const sched of [{ phase: "prefill" }, { phase: "both", interval: 16 }] as const) {
        const base = { policy: "nucleus", tolerance: 0.05, exemptLayers: [], ...sched };
        const one = await llm.complete(PROMPT, { temperature: 0, maxTokens: 41, kv: { ...base, signal: "mean", window: 1 } });
        single.length = 0;
        const last = await llm.complete(PROMPT, { temperature: 0, maxTokens: 41, kv: { ...base, signal: "last", window: 8 } });
        assert.deepEqual(last.kv!.keptPerLayer, one.kv!.keptPerLayer, JSON.stringify(sched));
        assert.deepEqual(last.tokens, one.tokens, JSON.stringify(sched));
        assert.ok(last.kv!.keptPerLayer.some((k) => k < n), `nothing pruned: ${last.kv!.keptPerLayer}`);
        // the prompt's last query ran alone (and, decoding, every token does)
        assert.equal(single[0], n - 1, JSON.stringify(sched));
        // the window's sums are unchanged by keeping the last row apart: mean+last with the last
        // row weighted like the others is plain mean on a prompt whose window is one query
        const mixed = await llm.complete(PROMPT, { temperature: 0, maxTokens: 41, kv: { ...base, signal: "mean+last", window: 1 } });
        assert.deepEqual(mixed.kv!.keptPerLayer, one.kv!.keptPerLayer, JSON.stringify(sched));
      }
    } finally {
      model.forward = forward;
    }
  });

  it("rejects a decode-phase interval shorter than the policy's window", async () => {
    await assert.rejects(llm.complete(PROMPT, { maxTokens: 4, kv: { policy: "snapkv", phase: "both", interval: 8 } }), /interval = 8: .* >= 32/);
  });
});
