// One model, many callers (issue 13): concurrent generations queue and never touch each other's
// cache; an abort lands within one token while other calls wait; LLM.dispose() while a
// generation runs ends it cleanly (finish reason "abort"), rejects what was queued behind it with
// one clear error, and frees the memory only once nothing reads it.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { LLM } from "../src/llm.ts";
import { createRuntime, type Runtime } from "../src/wasm/runtime.ts";
import type { GenerateOptions, GenerationResult } from "../src/generate/session.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

const MODEL = ["models", "stories260K.bin"] as const;
const need = needFiles("models/stories260K.bin", "models/tok512.bin");
// ignoreEos: a generation that runs its whole maxTokens unless stopped
const LONG: GenerateOptions = { temperature: 0, maxTokens: 300, ignoreEos: true };

// pulls every piece of a stream, calling onPiece(n) after the n-th
async function drain(g: AsyncIterable<string>, onPiece: (n: number) => void = () => {}): Promise<number> {
  let n = 0;
  for await (const _ of g) onPiece(++n);
  return n;
}

// a generation's last onStep count, read when its signal aborts: what it had decoded then
function decodedAtAbort(ac: AbortController): { opts: Pick<GenerateOptions, "onStep" | "signal">; at: () => number } {
  let last = 0, at = -1;
  ac.signal.addEventListener("abort", () => { at = last; });
  return { opts: { signal: ac.signal, onStep: (s) => { last = s.generated; } }, at: () => at };
}

describe("concurrent calls on one model (stories260K)", { skip: need }, () => {
  let llm: LLM;
  before(async () => { llm = await LLM.load(sharedPath(...MODEL)); });
  after(() => llm?.dispose());

  it("interleaved streams, sessions and one-shots with different KV policies queue and give their solo results", async () => {
    const h0 = llm.rt.heap.stats.bytesInUse;
    const calls: { prompt: string; opts: GenerateOptions }[] = [
      { prompt: "Lily and Ben", opts: { temperature: 0, maxTokens: 40 } },
      { prompt: "Once upon a time", opts: { temperature: 0, maxTokens: 40, kv: { policy: "h2o", ratio: 0.5 } } },
      { prompt: "The cat", opts: { temperature: 0.8, seed: 3, maxTokens: 40, kv: { policy: "streaming", budget: 8, sinks: 2, phase: "decode", interval: 4 } } },
      { prompt: "A big dog", opts: { temperature: 0, maxTokens: 40, kv: { policy: "snapkv", ratio: 0.5 } } },
    ];
    const solo: GenerationResult[] = [];
    for (const c of calls) solo.push(await llm.complete(c.prompt, c.opts));
    const soloTurns = [];
    {
      const s = llm.session();
      soloTurns.push(await s.chat("Lily went to the park.", { temperature: 0, maxTokens: 20 }));
      soloTurns.push(await s.chat(" She saw a dog.", { temperature: 0, maxTokens: 20 }));
      s.dispose();
    }
    // all at once: the streams are pulled round-robin, one piece at a time, while the session's
    // two turns and the one-shots wait their turn on the same model
    const streams = calls.map((c) => llm.generate(c.prompt, c.opts));
    const s = llm.session();
    const turns = [s.chat("Lily went to the park.", { temperature: 0, maxTokens: 20 }), s.chat(" She saw a dog.", { temperature: 0, maxTokens: 20 })];
    const once = llm.complete(calls[1].prompt, calls[1].opts);
    const its = streams.map((g) => g[Symbol.asyncIterator]());
    const texts = streams.map(() => "");
    for (let live = its.length; live > 0;) {
      live = 0;
      for (let i = 0; i < its.length; i++) {
        const r = await its[i].next();
        if (!r.done) { texts[i] += r.value; live++; }
      }
    }
    const results = await Promise.all(streams.map((g) => g.result));
    for (let i = 0; i < calls.length; i++) {
      assert.deepEqual(results[i].tokens, solo[i].tokens, `call ${i} (${calls[i].prompt}) differs when run among the others`);
      assert.equal(texts[i], solo[i].text);
    }
    assert.deepEqual((await Promise.all(turns)).map((r) => r.tokens), soloTurns.map((r) => r.tokens));
    assert.deepEqual((await once).tokens, solo[1].tokens);
    s.dispose();
    assert.equal(llm.rt.heap.stats.bytesInUse, h0, "a cache was not freed");
  });

  it("an abort lands within one token under load: the running generation stops, the queued ones are untouched", async () => {
    const soloB = await llm.complete("Lily", { temperature: 0, maxTokens: 30 });
    const soloC = await llm.complete("Ben", { temperature: 0, maxTokens: 30 });
    // from the stream's consumer, at its first piece, while B, a session turn and C wait
    const ac = new AbortController(), a = decodedAtAbort(ac);
    const A = llm.generate("", { ...LONG, ...a.opts });
    const B = llm.complete("Lily", { temperature: 0, maxTokens: 30 });
    const s = llm.session();
    const T = s.chat("Once upon a time", { temperature: 0, maxTokens: 30 });
    const C = llm.complete("Ben", { temperature: 0, maxTokens: 30 });
    await drain(A, (n) => { if (n === 1) ac.abort(); });
    const ra = await A.result;
    assert.equal(ra.finishReason, "abort");
    assert.ok(a.at() >= 0 && ra.tokens.length <= a.at() + 1, `${ra.tokens.length} tokens, ${a.at()} decoded when abort() was called: more than one token after it`);
    assert.deepEqual((await B).tokens, soloB.tokens);
    assert.ok((await T).tokens.length > 0);
    assert.deepEqual((await C).tokens, soloC.tokens);
    s.dispose();

    // from a timer, while a queued generation waits behind it
    const ac2 = new AbortController(), a2 = decodedAtAbort(ac2);
    const D = llm.complete("", { ...LONG, ...a2.opts });
    const E = llm.complete("Lily", { temperature: 0, maxTokens: 30 });
    setTimeout(() => ac2.abort(), 1);
    const rd = await D;
    assert.equal(rd.finishReason, "abort");
    assert.ok(rd.tokens.length <= a2.at() + 1, `${rd.tokens.length} tokens, ${a2.at()} decoded when abort() was called`);
    assert.deepEqual((await E).tokens, soloB.tokens);

    // from onStep, in step with the generation: exactly the tokens decoded so far
    const ac3 = new AbortController();
    const r3 = await llm.complete("", { ...LONG, signal: ac3.signal, onStep: (st) => { if (st.generated === 7) ac3.abort(); } });
    assert.equal(r3.finishReason, "abort");
    assert.equal(r3.tokens.length, 7);

    // a queued generation aborted before it starts runs nothing
    const ac4 = new AbortController();
    const F = llm.complete("", { ...LONG });
    const G = llm.complete("Lily", { temperature: 0, maxTokens: 30, signal: ac4.signal });
    ac4.abort();
    const [, rg] = await Promise.all([F, G]);
    assert.equal(rg.finishReason, "abort");
    assert.deepEqual(rg.tokens, []);
  });
});

describe("LLM.dispose() while a generation runs (stories260K)", { skip: need }, () => {
  let rt: Runtime;
  before(async () => { rt = await createRuntime(); });

  // a model in the shared runtime rt, so that its heap can be read after the model is gone
  const load = () => LLM.load(sharedPath(...MODEL), { runtime: rt });

  it("from a stream's consumer: the generation ends cleanly, queued calls get one clear error, memory is freed after", async () => {
    const h0 = rt.heap.stats.bytesInUse;
    const llm = await load();
    // tracks what A had decoded when dispose() was called
    let decoded = 0, atDispose = -1;
    const A = llm.generate("", { ...LONG, onStep: (st) => { decoded = st.generated; } });
    const B = llm.complete("Lily", { temperature: 0, maxTokens: 30 });
    const s = llm.session();
    const T = s.chat("Once upon a time", { temperature: 0, maxTokens: 30 });
    let inUseAtDispose = 0;
    await drain(A, (n) => {
      if (n !== 1) return;
      llm.dispose();
      atDispose = decoded;
      inUseAtDispose = rt.heap.stats.bytesInUse;
    });
    const ra = await A.result;
    assert.equal(ra.finishReason, "abort");
    assert.ok(atDispose >= 0 && ra.tokens.length <= atDispose + 1, `${ra.tokens.length} tokens, ${atDispose} decoded at dispose(): more than one token after it`);
    assert.ok(inUseAtDispose > h0, "the weights were freed while the generation still ran");
    await assert.rejects(B, /the model was disposed/);
    await assert.rejects(T, /chat session was disposed/);
    assert.equal(rt.heap.stats.bytesInUse, h0, "the model's memory was not freed when its generation ended");
    await assert.rejects(async () => llm.complete("Lily"), /the model was disposed/);
    assert.throws(() => llm.session(), /the model was disposed/);
  });

  it("from onStep, during a session's turn, and during a restore: never a use of freed memory", async () => {
    const h0 = rt.heap.stats.bytesInUse;
    // in step with the generation: it stops before its next forward pass
    const m1 = await load();
    const r1 = await m1.complete("", { ...LONG, onStep: (st) => { if (st.generated === 3) m1.dispose(); } });
    assert.equal(r1.finishReason, "abort");
    assert.equal(r1.tokens.length, 3);
    assert.equal(rt.heap.stats.bytesInUse, h0);
    // a session's turn streaming when its model goes
    const m2 = await load();
    const s = m2.session({ kv: { policy: "h2o", ratio: 0.5, phase: "turn" } });
    await s.chat("Lily went to the park.", { temperature: 0, maxTokens: 10 });
    const saved = await s.save();
    const g = s.stream(" She saw a dog.", LONG);
    await drain(g, (n) => { if (n === 1) m2.dispose(); });
    assert.equal((await g.result).finishReason, "abort");
    assert.equal(rt.heap.stats.bytesInUse, h0);
    // a restore queued behind a running generation
    const m3 = await load();
    const A = m3.generate("", LONG);
    let R: Promise<unknown> | undefined;
    await drain(A, (n) => { if (n === 1) { R = m3.restore(saved); m3.dispose(); } });
    assert.equal((await A.result).finishReason, "abort");
    await assert.rejects(R!, /the model was disposed/);
    assert.equal(rt.heap.stats.bytesInUse, h0);
  });

  it("with worker threads: the pool outlives the generation it serves", async () => {
    const m = await LLM.load(sharedPath(...MODEL), { threads: 2 });
    assert.equal(m.threads, 2);
    const A = m.generate("", LONG);
    await drain(A, (n) => { if (n === 2) m.dispose(); });
    const r = await A.result;
    assert.equal(r.finishReason, "abort");
    assert.equal(m.rt.heap.stats.bytesInUse, 0);
  });
});
