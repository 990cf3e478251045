// The model shipped in the package (models/stories260K.gguf): it is the file models/README.md
// describes, LLM.load() and `budgetkv run` without -m find it with nothing beside the repository,
// and it gives llama.cpp's greedy tokens. Needs no shared files.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEFAULT_MODEL, LLM } from "../src/index.ts";
import { main } from "../src/cli/main.ts";
import { REPO_ROOT, fixturePath } from "./helpers/shared.ts";

const llamacpp = () => JSON.parse(readFileSync(fixturePath("llamacpp-greedy.json"), "utf8")).stories260K;

describe("the default model", () => {
  it("DEFAULT_MODEL.url is models/stories260K.gguf with the sha256 models/README.md gives", () => {
    const path = fileURLToPath(DEFAULT_MODEL.url);
    assert.equal(path, `${REPO_ROOT}/models/${DEFAULT_MODEL.file}`.replace(/\/+/g, "/"));
    const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
    assert.equal(sha, "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d");
    assert.match(readFileSync(`${REPO_ROOT}/models/README.md`, "utf8"), new RegExp(sha));
  });

  it("LLM.load() with no arguments loads it and gives llama.cpp's greedy tokens", async () => {
    const c = llamacpp().cases.find((c: { tool: string; prompt: string }) => c.tool === "llama-simple" && c.prompt === "Once upon a time");
    assert.ok(c, "fixture case");
    const llm = await LLM.load();
    try {
      assert.equal(llm.file.format, "gguf");
      assert.equal(llm.config.nLayers, 5);
      const r = await llm.complete(c.prompt, { temperature: 0, maxTokens: c.n_predict });
      assert.deepEqual(r.tokens.slice(0, c.generated_ids.length), c.generated_ids);
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
