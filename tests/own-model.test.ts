// Our own model (models/budgetkv-stories-500k-*.gguf, trained by train/): the committed files are
// the ones the fixtures were made from, their metadata says what the card says, our tokenizer and
// greedy tokens equal llama.cpp's (tests/fixtures/llamacpp-own-model.json), and it retrieves a
// passkey from 1,024 tokens of held-out story text.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LLM } from "../src/llm.ts";
import { openModel } from "../src/format/model-file.ts";
import { retrievalPrompts } from "../src/eval/prompts.ts";
import { REPO_ROOT, fixturePath, needFiles, sharedPath } from "./helpers/shared.ts";
import { WASM_BUILDS, skipReason } from "./helpers/runtimes.ts";

const NAME = "budgetkv-stories-500k";
const FILES = { f32: `${NAME}-f32.gguf`, q8_0: `${NAME}-q8_0.gguf` } as const;
const modelPath = (f: string) => join(REPO_ROOT, "models", f);

interface Case { prompt: string; tokenize_ids: number[]; prompt_ids: number[]; generated_ids: number[] }
const fx = JSON.parse(readFileSync(fixturePath("llamacpp-own-model.json"), "utf8")) as { models: Record<string, { sha256: string; cases: Case[] }> };

describe(`${NAME}: the committed files`, () => {
  for (const f of Object.values(FILES)) {
    it(`${f} is the file the llama.cpp fixture was made from, at most 8 MB`, () => {
      const bytes = readFileSync(modelPath(f));
      assert.ok(bytes.length <= 8e6, `${f}: ${bytes.length} bytes`);
      assert.equal(createHash("sha256").update(bytes).digest("hex"), fx.models[f].sha256);
    });
  }

  it("metadata: a GQA Llama with a 2,048-token context and its own 1,024-piece SPM vocabulary", async () => {
    for (const [q, f] of Object.entries(FILES)) {
      const m = await openModel(modelPath(f));
      try {
        const c = m.config, meta = m.metadata!;
        assert.equal(c.arch, "llama");
        assert.ok(c.contextLength >= 2048);
        assert.ok(c.nKvHeads < c.nHeads, "grouped-query attention");
        assert.equal(c.vocabSize, 1024);
        assert.equal(meta.get("tokenizer.ggml.model"), "llama");
        assert.equal(meta.get("general.license"), "MIT");
        assert.equal(meta.get("general.file_type"), q === "f32" ? 0 : 7);
        const types = new Set([...m.tensors.values()].map((t) => t.dtype));
        assert.deepEqual([...types].sort(), q === "f32" ? ["f32"] : ["f32", "q8_0"]);
      } finally {
        await m.close();
      }
    }
  });
});

for (const build of WASM_BUILDS) {
  describe(`${NAME} (${build}) against llama.cpp`, { skip: skipReason(build) }, () => {
    const llms: Record<string, LLM> = {};
    before(async () => {
      for (const f of Object.values(FILES)) llms[f] = await LLM.load(modelPath(f), { build });
    });
    after(() => Object.values(llms).forEach((l) => l.dispose()));

    it("tokenizes the 3 prompts as llama-tokenize does", () => {
      for (const f of Object.values(FILES)) {
        for (const c of fx.models[f].cases) {
          assert.deepEqual(llms[f].tokenize(c.prompt, { addBos: true }), c.tokenize_ids, JSON.stringify(c.prompt));
          assert.deepEqual(c.prompt_ids, c.tokenize_ids, "the fixture's two llama.cpp tokenizations agree");
        }
      }
    });

    it("F32 greedy continuations equal llama.cpp's token for token, 48 tokens each", async () => {
      for (const c of fx.models[FILES.f32].cases) {
        const r = await llms[FILES.f32].complete(c.prompt, { temperature: 0, maxTokens: c.generated_ids.length });
        assert.deepEqual(r.tokens, c.generated_ids, JSON.stringify(c.prompt));
      }
    });

    // llama.cpp's Q8_0 matmul also rounds the activations to 8 bits, we keep them in f32: the two
    // agree until a near tie (measured: 48/48 tokens, 48/48, then 6 at a 0.017 logit gap), and the
    // first token where they part must be one
    it("Q8_0 greedy continuations equal llama.cpp's until a near tie (< 0.05 logits apart)", async () => {
      const llm = llms[FILES.q8_0];
      for (const c of fx.models[FILES.q8_0].cases) {
        const r = await llm.complete(c.prompt, { temperature: 0, maxTokens: c.generated_ids.length });
        let k = 0;
        while (k < r.tokens.length && r.tokens[k] === c.generated_ids[k]) k++;
        if (k === c.generated_ids.length) continue;
        await llm.complete({ tokens: [...c.prompt_ids, ...r.tokens.slice(0, k)] }, { maxTokens: 0 });
        const logits = llm.engine.model.logits.f32();
        const gap = logits[r.tokens[k]] - logits[c.generated_ids[k]];
        assert.ok(gap >= 0 && gap < 0.05, `${JSON.stringify(c.prompt)}: token ${k} differs with a logit gap of ${gap}`);
      }
    });
  });
}

describe(`${NAME}: passkey retrieval at 1,024 tokens`, { skip: needFiles("data/tinystories_val.txt") }, () => {
  it("finds the code in 6 held-out prompts (full cache, greedy)", async () => {
    const llm = await LLM.load(modelPath(FILES.q8_0));
    try {
      const text = readFileSync(sharedPath("data", "tinystories_val.txt"), "utf8");
      const prompts = retrievalPrompts(text, llm.tokenizer, 6, 1024);
      for (const p of prompts) {
        assert.ok(p.tokens.length > 900 && p.tokens.length <= 1024, `prompt of ${p.tokens.length} tokens`);
        const r = await llm.complete({ tokens: p.tokens }, { temperature: 0, maxTokens: 8 });
        assert.ok(r.text.includes(p.answer!), `expected ${p.answer}, got ${JSON.stringify(r.text)}`);
      }
    } finally {
      llm.dispose();
    }
  });
});
