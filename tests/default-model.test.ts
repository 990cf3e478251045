// The model shipped in the package (models/budgetkv-stories-500k-q8_0.gguf, our own, trained by
// train/): it is the file its card and the llama.cpp fixture describe, LLM.load() and
// `budgetkv run` without -m find it with nothing beside the repository, and it gives llama.cpp's
// greedy tokens. Needs no shared files.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEFAULT_MODEL, LLM } from "../src/index.ts";
import { main } from "../src/cli/main.ts";
import { REPO_ROOT, fixturePath } from "./helpers/shared.ts";

interface Case { prompt: string; prompt_ids: number[]; generated_ids: number[] }
const ownModel = () => JSON.parse(readFileSync(fixturePath("llamacpp-own-model.json"), "utf8")).models as Record<string, { sha256: string; cases: Case[] }>;
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("the default model", () => {
  it("DEFAULT_MODEL.url is models/budgetkv-stories-500k-q8_0.gguf, the file of the llama.cpp fixture and of its card", () => {
    const path = fileURLToPath(DEFAULT_MODEL.url);
    assert.equal(path, `${REPO_ROOT}/models/${DEFAULT_MODEL.file}`.replace(/\/+/g, "/"));
    assert.equal(DEFAULT_MODEL.file, "budgetkv-stories-500k-q8_0.gguf");
    const sha = sha256(path);
    assert.equal(sha, ownModel()[DEFAULT_MODEL.file].sha256);
    assert.match(readFileSync(`${REPO_ROOT}/models/budgetkv-stories-500k.md`, "utf8"), new RegExp(sha));
  });

  it("stories260K, the earlier default, is still the file models/README.md describes (tests use it)", () => {
    const sha = sha256(`${REPO_ROOT}/models/stories260K.gguf`);
    assert.equal(sha, "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d");
    assert.match(readFileSync(`${REPO_ROOT}/models/README.md`, "utf8"), new RegExp(sha));
  });

  // llama.cpp's Q8_0 matmul also rounds activations to 8 bits; tests/own-model.test.ts checks the
  // rest of the continuation up to a near tie
  it("LLM.load() with no arguments loads it, with its 2,048-token context, and gives llama.cpp's first greedy tokens", async () => {
    const c = ownModel()[DEFAULT_MODEL.file].cases[0];
    const llm = await LLM.load();
    try {
      assert.equal(llm.file.format, "gguf");
      assert.equal(llm.config.contextLength, 2048);
      const r = await llm.complete(c.prompt, { temperature: 0, maxTokens: 16 });
      assert.deepEqual(r.tokens, c.generated_ids.slice(0, 16));
    } finally {
      llm.dispose();
    }
  });

  it("an explicit undefined or null source is an error, not the default", async () => {
    await assert.rejects(LLM.load(undefined as never), /LLM\.load\(undefined\): no model source/);
    await assert.rejects(LLM.load(null as never, {}), /LLM\.load\(null\): no model source/);
  });

  it("budgetkv run without -m uses it", async () => {
    let out = "", err = "";
    const code = await main(["run", "-n", "24", "--temp", "0"], { out: (s) => { out += s; }, err: (s) => { err += s; } });
    assert.equal(code, 0, err);
    assert.ok(out.startsWith("Once upon a time, there was a little girl named Lily."), out);
  });
});
