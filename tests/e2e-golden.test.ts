// Golden end-to-end tests: greedy generations equal independent implementations token for
// token (tests/fixtures: llama2.c run.c, llama.cpp, a numpy forward pass; see the README there).
// Each suite first checks that the shared model files have the sha256 its fixture records.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LLM } from "../src/llm.ts";
import { fixturePath, needFiles, sharedPath } from "./helpers/shared.ts";
import { checkFileHash, checkFixtureModels, recordedHashes, sha256File } from "./helpers/fixture-models.ts";
import { WASM_BUILDS, skipReason } from "./helpers/runtimes.ts";

const fixture = (name: string) => JSON.parse(readFileSync(fixturePath(name), "utf8"));

interface RunCCase { prompt: string; steps: number; prompt_ids: number[]; generated_ids: number[]; stdout: string }

// run.c's -n counts every forward pass, prompt positions included
const runcNew = (c: RunCCase) => c.steps - (c.prompt_ids.length - 1);

for (const build of WASM_BUILDS) {
  for (const file of ["stories260K.bin", "stories260K.gguf"]) {
    describe(`stories260K (${file}, ${build}) against llama2.c run.c`, { skip: needFiles(`models/${file}`, "models/tok512.bin") || skipReason(build) }, () => {
      const fx = fixture("llama2c-stories260k.json");
      let llm: LLM;
      before(async () => {
        // run.c read the .bin; the .gguf is llama.cpp's conversion of it (llamacpp-greedy.json)
        if (file.endsWith(".bin")) checkFixtureModels("llama2c-stories260k.json", "models/stories260K.bin", "models/tok512.bin");
        else checkFixtureModels("llamacpp-greedy.json", `models/${file}`);
        llm = await LLM.load(sharedPath("models", file), { build });
      });
      after(() => llm?.dispose());

      it("greedy from BOS reproduces llama2.c's documented sample, all 256 tokens", async () => {
        const c: RunCCase = fx.cases[0];
        const r = await llm.complete("", { temperature: 0, maxTokens: runcNew(c) });
        assert.deepEqual(r.promptTokens, [1]);
        assert.deepEqual(r.tokens, c.generated_ids);
        assert.ok(r.text.startsWith("Once upon a time, there was a little girl named Lily. She loved to play outside in the park."));
        assert.equal(r.text + "\n", c.stdout);
      });

      it("encodes each prompt as run.c does and continues it identically", async () => {
        for (const c of fx.cases.slice(1) as RunCCase[]) {
          assert.deepEqual(llm.tokenize(c.prompt, { addBos: true }), c.prompt_ids, `prompt ${JSON.stringify(c.prompt)}`);
          const r = await llm.complete(c.prompt, { temperature: 0, maxTokens: runcNew(c) });
          assert.deepEqual(r.tokens, c.generated_ids, `continuation of ${JSON.stringify(c.prompt)}`);
        }
      });
    });
  }
}

describe("BabyLlama (character-level llama2.c) against run.c", { skip: needFiles("models/babyllama-tok105/model5000.bin", "models/babyllama-tok105/tok105.bin") }, () => {
  it("greedy outputs equal run.c's for BOS and two prompts", async () => {
    checkFixtureModels("llama2c-babyllama-tok105.json", "models/babyllama-tok105/model5000.bin", "models/babyllama-tok105/tok105.bin");
    const fx = fixture("llama2c-babyllama-tok105.json");
    const llm = await LLM.load(sharedPath("models", "babyllama-tok105", "model5000.bin"));
    try {
      for (const c of fx.cases as RunCCase[]) {
        assert.deepEqual(llm.tokenize(c.prompt, { addBos: true }), c.prompt_ids);
        const r = await llm.complete(c.prompt, { temperature: 0, maxTokens: runcNew(c) });
        assert.deepEqual(r.tokens, c.generated_ids, `continuation of ${JSON.stringify(c.prompt)}`);
      }
    } finally {
      llm.dispose();
    }
  });
});

describe("stories260K.gguf against llama.cpp (llama-simple)", { skip: needFiles("models/stories260K.gguf") }, () => {
  it("prompt ids and greedy continuations equal llama.cpp's", async () => {
    checkFixtureModels("llamacpp-greedy.json", "models/stories260K.gguf");
    const fx = fixture("llamacpp-greedy.json");
    const llm = await LLM.load(sharedPath("models", "stories260K.gguf"));
    try {
      for (const c of fx.stories260K.cases.filter((c: { tool: string }) => c.tool === "llama-simple")) {
        assert.deepEqual(llm.tokenize(c.prompt, { addBos: true }), c.prompt_ids);
        const r = await llm.complete(c.prompt, { temperature: 0, maxTokens: c.n_predict });
        // llama.cpp stops at EOS; run.c stops at BOS: compare over what llama.cpp produced
        assert.deepEqual(r.tokens.slice(0, c.generated_ids.length), c.generated_ids, JSON.stringify(c.prompt));
      }
    } finally {
      llm.dispose();
    }
  });
});

describe("TinyStories-656K: safetensors F32 and GGUF Q8_0", { skip: needFiles("models/tinystories-656k/model.safetensors", "models/tinystories-656k-q8_0.gguf") }, () => {
  let f32: LLM, q8: LLM;
  before(async () => {
    const folder = ["model.safetensors", "config.json", "tokenizer.json"].map((f) => `models/tinystories-656k/${f}`);
    checkFixtureModels("tinystories656k-numpy-f32.json", ...folder);
    checkFixtureModels("tinystories656k-numpy-q8_0.json", "models/tinystories-656k-q8_0.gguf");
    checkFixtureModels("llamacpp-greedy.json", "models/tinystories-656k-q8_0.gguf");
    f32 = await LLM.load(sharedPath("models", "tinystories-656k"));
    q8 = await LLM.load(sharedPath("models", "tinystories-656k-q8_0.gguf"));
  });
  after(() => { f32?.dispose(); q8?.dispose(); });

  it("F32 logits equal an independent numpy forward pass within 1e-4", async () => {
    const fx = fixture("tinystories656k-numpy-f32.json");
    const seq: number[] = fx.logits.sequence;
    for (const p of fx.logits.positions) {
      await f32.complete({ tokens: seq.slice(0, p.position + 1) }, { maxTokens: 0 });
      const got = f32.engine.model.logits.f32();
      let worst = 0;
      for (let i = 0; i < p.logits.length; i++) worst = Math.max(worst, Math.abs(got[i] - p.logits[i]));
      assert.ok(worst <= 1e-4, `position ${p.position}: max |logit diff| ${worst}`);
    }
  });

  it("F32 greedy from BOS equals numpy for the 59 tokens before its near-tie", async () => {
    const fx = fixture("tinystories656k-numpy-f32.json");
    const r = await f32.complete({ tokens: [1] }, { temperature: 0, maxTokens: 59 });
    assert.deepEqual(r.tokens, fx.greedy_from_bos.ids.slice(0, 59));
  });

  it("Q8_0 greedy from BOS equals numpy on the dequantized weights and llama.cpp, 64 tokens", async () => {
    const np = fixture("tinystories656k-numpy-q8_0.json");
    const cpp = fixture("llamacpp-greedy.json").tinystories656k_q8_0.cases[0];
    const r = await q8.complete({ tokens: [1] }, { temperature: 0, maxTokens: 64 });
    assert.deepEqual(r.tokens, np.greedy_from_bos.ids.slice(0, 64));
    assert.deepEqual(r.tokens, cpp.generated_ids.slice(0, 64));
  });

  it("the two files agree on at least the first 50 greedy tokens", async () => {
    const a = await f32.complete({ tokens: [1] }, { temperature: 0, maxTokens: 50 });
    const b = await q8.complete({ tokens: [1] }, { temperature: 0, maxTokens: 50 });
    assert.deepEqual(a.tokens, b.tokens);
  });
});

describe("golden fixtures name the model files they were made from", () => {
  it("every golden fixture records a sha256 for each model file its test loads", () => {
    const want: Record<string, string[]> = {
      "llama2c-stories260k.json": ["models/stories260K.bin", "models/tok512.bin"],
      "llama2c-babyllama-tok105.json": ["models/babyllama-tok105/model5000.bin", "models/babyllama-tok105/tok105.bin"],
      "llamacpp-greedy.json": ["models/stories260K.gguf", "models/tinystories-656k-q8_0.gguf"],
      "tinystories656k-numpy-f32.json": ["models/tinystories-656k/model.safetensors", "models/tinystories-656k/config.json", "models/tinystories-656k/tokenizer.json"],
      "tinystories656k-numpy-q8_0.json": ["models/tinystories-656k-q8_0.gguf"],
      "kv-rules-stories260k.json": ["models/stories260K.bin"],
    };
    for (const [name, files] of Object.entries(want)) {
      const got = recordedHashes(fixture(name));
      assert.deepEqual([...got.keys()].sort(), [...files].sort(), name);
      for (const h of got.values()) assert.match(h, /^[0-9a-f]{64}$/, name);
    }
    // two fixtures made from the same file agree on its hash
    assert.equal(recordedHashes(fixture("kv-rules-stories260k.json")).get("models/stories260K.bin"), recordedHashes(fixture("llama2c-stories260k.json")).get("models/stories260K.bin"));
    assert.equal(recordedHashes(fixture("tinystories656k-numpy-q8_0.json")).get("models/tinystories-656k-q8_0.gguf"), recordedHashes(fixture("llamacpp-greedy.json")).get("models/tinystories-656k-q8_0.gguf"));
  });

  it("a model file whose sha256 differs from the fixture's is refused with both hashes named", () => {
    const dir = mkdtempSync(join(tmpdir(), "budgetkv-hash-"));
    try {
      const path = join(dir, "model.bin");
      writeFileSync(path, "abc");
      const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // sha256("abc")
      assert.equal(sha256File(path), abc);
      checkFileHash(path, abc, "some-fixture.json");
      const other = "0".repeat(64);
      assert.throws(() => checkFileHash(path, other, "some-fixture.json"),
        (e: Error) => e.message.includes(path) && e.message.includes(abc) && e.message.includes(other) && e.message.includes("some-fixture.json"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a fixture that records no hash for a file is an error, not a pass", () => {
    assert.throws(() => checkFixtureModels("llama2c-stories260k.json", "models/stories260K.gguf"), /records no sha256 for models\/stories260K.gguf/);
  });
});

describe("other models load and run", () => {
  it("the random F16 GGUF generates in-vocabulary tokens", { skip: needFiles("models/llama-2-tiny-random.gguf") }, async () => {
    const llm = await LLM.load(sharedPath("models", "llama-2-tiny-random.gguf"));
    try {
      const r = await llm.complete("Hello", { temperature: 0, maxTokens: 16 });
      assert.equal(r.tokens.length, 16);
      assert.ok(r.tokens.every((t) => Number.isInteger(t) && t >= 0 && t < 32000));
      assert.equal(llm.config.nLayers, 1);
    } finally {
      llm.dispose();
    }
  });
});
