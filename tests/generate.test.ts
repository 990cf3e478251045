// The library API over a real model: streaming, stop strings, EOS, abort, bad options.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { LLM } from "../src/llm.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

describe("LLM.generate / complete (stories260K)", { skip: needFiles("models/stories260K.bin", "models/tok512.bin") }, () => {
  let llm: LLM;
  before(async () => { llm = await LLM.load(sharedPath("models", "stories260K.bin")); });
  after(() => llm?.dispose());

  it("streamed pieces concatenate to complete()'s text", async () => {
    const pieces: string[] = [];
    const g = llm.generate("Lily and Ben", { temperature: 0, maxTokens: 60 });
    for await (const p of g) pieces.push(p);
    const r = await g.result;
    const c = await llm.complete("Lily and Ben", { temperature: 0, maxTokens: 60 });
    assert.ok(pieces.length > 10);
    assert.equal(pieces.join(""), c.text);
    assert.equal(r.text, c.text);
    assert.deepEqual(r.tokens, c.tokens);
  });

  it("a stop string ends the text before it", async () => {
    const full = await llm.complete("", { temperature: 0, maxTokens: 80 });
    const cut = full.text.indexOf("Lily");
    const r = await llm.complete("", { temperature: 0, maxTokens: 80, stop: ["Lily"] });
    assert.equal(r.finishReason, "stop");
    assert.equal(r.text, full.text.slice(0, cut));
  });

  it("an aborted signal stops the generation", async () => {
    const ac = new AbortController();
    let n = 0;
    const g = llm.generate("", { temperature: 0, maxTokens: 200, signal: ac.signal });
    for await (const _ of g) if (++n === 5) ac.abort();
    const r = await g.result;
    assert.equal(r.finishReason, "abort");
    assert.ok(r.tokens.length < 200);
  });

  it("llama2.c models stop at BOS as run.c does; maxTokens 0 only prefills", async () => {
    const r = await llm.complete("", { temperature: 0, maxTokens: 0 });
    assert.deepEqual(r.tokens, []);
    assert.equal(r.finishReason, "length");
    // a real sample: greedy from BOS ends when the model picks BOS again, which is not emitted
    const bos = llm.tokenize("", { addBos: true })[0];
    const g = await llm.complete("", { temperature: 0, maxTokens: 400 });
    assert.equal(g.finishReason, "eos");
    assert.ok(g.tokens.length > 20 && g.tokens.length < 400, `${g.tokens.length} tokens`);
    assert.ok(!g.tokens.includes(bos), "BOS is the end, not a token of the text");
    const logits = llm.engine.model.logits.toFloat32Array();
    assert.equal(logits.indexOf(Math.max(...logits)), bos, "the greedy pick after the last token is BOS");
  });

  it("reports prefill and decode speeds", async () => {
    const r = await llm.complete("Once upon a time", { temperature: 0, maxTokens: 16 });
    assert.equal(r.stats.promptTokens, 5);
    assert.equal(r.stats.generatedTokens, 16);
    assert.equal(r.stats.decodeRuns, 15, "the last sampled token is not run");
    assert.ok(r.stats.prefillTokS > 0 && r.stats.decodeTokS > 0);
  });

  it("rejects bad options with clear errors; concurrent calls queue", async () => {
    await assert.rejects(llm.complete("", { maxTokens: -1 }), /invalid option maxTokens = -1/);
    await assert.rejects(llm.complete("", { stop: "x" as unknown as string[] }), /invalid option stop/);
    await assert.rejects(llm.complete([{ role: "user", content: "hi" }]), /has no chat template/);
    const one = await llm.complete("Lily", { temperature: 0, maxTokens: 20 });
    const two = await llm.complete("Ben", { temperature: 0, maxTokens: 20 });
    const [a, b] = await Promise.all([llm.complete("Lily", { temperature: 0, maxTokens: 20 }), llm.complete("Ben", { temperature: 0, maxTokens: 20 })]);
    assert.deepEqual([a.tokens, b.tokens], [one.tokens, two.tokens]);
  });
});
