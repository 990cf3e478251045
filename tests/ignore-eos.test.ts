// ignoreEos: end-of-generation tokens are never sampled (llama.cpp's --ignore-eos), so exactly
// maxTokens come out; up to where the plain run ended, the tokens are the same.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LLM } from "../src/index.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

describe("ignoreEos", { skip: needFiles("models/stories260K.bin", "models/tok512.bin") }, () => {
  it("generates exactly maxTokens where the model would end (stories260K.bin ends at BOS, as run.c)", async () => {
    const llm = await LLM.load(sharedPath("models", "stories260K.bin"));
    try {
      const prompt = "Once upon a time, there was a cat named Tom. Tom liked to play. The end.";
      const plain = await llm.complete(prompt, { temperature: 0, maxTokens: 300 });
      assert.equal(plain.finishReason, "eos");
      assert.ok(plain.tokens.length < 300);
      const all = await llm.complete(prompt, { temperature: 0, maxTokens: 300, ignoreEos: true });
      assert.equal(all.finishReason, "length");
      assert.equal(all.tokens.length, 300);
      assert.deepEqual(all.tokens.slice(0, plain.tokens.length), plain.tokens);
      assert.ok(!all.tokens.includes(1) && !all.tokens.includes(2), "no BOS or EOS among the tokens");
      const sampled = await llm.complete(prompt, { temperature: 1, seed: 7, maxTokens: 200, ignoreEos: true });
      assert.equal(sampled.tokens.length, 200);
    } finally {
      llm.dispose();
    }
  });

  it("is validated", async () => {
    const llm = await LLM.load();
    try {
      await assert.rejects(llm.complete("", { ignoreEos: "yes" as unknown as boolean }), /invalid option ignoreEos = "yes": must be true or false/);
    } finally {
      llm.dispose();
    }
  });
});
