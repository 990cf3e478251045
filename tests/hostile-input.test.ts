// Hostile input beyond the parsers (issue 13): bounded JSON, tokenizer.json checked before the
// tokenizer library sees it, vocabularies cross-checked at load, NaN/Inf caught and named,
// regular-file checks, thread counts past 32, weights refused from the header when they cannot
// fit, and concurrent or aborted generations. The fuzzer (tests/fuzz, npm run fuzz) tries the
// same on mutated files at scale.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LLM } from "../src/llm.ts";
import { main } from "../src/cli/main.ts";
import { openModel } from "../src/format/model-file.ts";
import { ModelFormatError } from "../src/format/errors.ts";
import { depthExceeded, parseJson } from "../src/format/json.ts";
import { writeGGUF } from "../src/format/gguf-writer.ts";
import { SourceError, memorySource } from "../src/io/source.ts";
import { NonFiniteError, firstNonFiniteF32 } from "../src/model/finite.ts";
import { tokenizerFromHF } from "../src/tokenizer/index.ts";
import { TokenizerError, type Tokenizer } from "../src/tokenizer/types.ts";
import { checkVocab } from "../src/model/vocab-check.ts";
import { createRuntime } from "../src/wasm/runtime.ts";
import { ggufMetadata } from "./helpers/models.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { tinyConfig, tinyHF, tinyTensors } from "./helpers/tiny-models.ts";

const f32Bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// tiny llama GGUF with `edit` applied to each tensor's values (canonical name, HF layout: the
// q/k row permutation does not matter for these tests)
function tinyGGUFWith(edit: (name: string, data: Float32Array) => void): Uint8Array {
  const c = tinyConfig("llama");
  const tensors = tinyTensors("llama").map((t) => { edit(t.name, t.data); return { name: t.name, dtype: "f32" as const, shape: t.shape, data: f32Bytes(t.data) }; });
  return writeGGUF({ metadata: ggufMetadata(c), tensors });
}

async function rejectsWith(p: Promise<unknown>, type: new (...a: never[]) => Error, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

describe("bounded JSON", () => {
  it("refuses nesting past the limit by scanning, before JSON.parse; brackets in strings do not count", () => {
    assert.equal(depthExceeded("[[[]]]", 3), -1);
    assert.equal(depthExceeded("[[[[]]]]", 3), 3);
    assert.equal(depthExceeded(JSON.stringify({ a: "[[[[[[[[[[\\\"[[[[" }), 2), -1);
    assert.throws(() => parseJson("[".repeat(100000) + "]".repeat(100000), "x.json"), /x\.json: json: nested more than 64 levels deep/);
    assert.throws(() => parseJson("{\"a\": }", "x.json"), (e: unknown) => e instanceof ModelFormatError && /x\.json: json: not valid JSON/.test(e.message));
    assert.throws(() => parseJson("[1]", "x.json", { maxBytes: 2 }), /x\.json: size = 3: larger than 2 bytes/);
  });

  it("deeply nested config.json values and safetensors header fields are one ModelFormatError", async () => {
    for (const [file, patch] of [
      ["config.json", (j: Record<string, unknown>) => { j.rope_theta = JSON.parse("[".repeat(60) + "]".repeat(60)); }],
      ["config.json", (j: Record<string, unknown>) => { j.hidden_size = "x"; }],
    ] as const) {
      const m = tinyHF("llama");
      const j = JSON.parse(await m.get(file)!.text());
      patch(j);
      m.set(file, new Blob([JSON.stringify(j)]));
      await rejectsWith(LLM.load(m), ModelFormatError, /config\.json: (rope_theta|hidden_size)/);
    }
    const m = tinyHF("llama");
    m.set("config.json", new Blob(["{\"a\":" + "[".repeat(6000) + "]".repeat(6000) + "}"]));
    await rejectsWith(LLM.load(m), ModelFormatError, /config\.json: json: nested more than 64 levels/);
  });
});

describe("tokenizer.json checked before the tokenizer library", () => {
  const base = () => ({
    version: "1.0", added_tokens: [{ id: 0, content: "<s>", special: true }], normalizer: null, pre_tokenizer: null, decoder: null,
    post_processor: { type: "TemplateProcessing", single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }], special_tokens: {} },
    model: { type: "BPE", vocab: { "<s>": 0, a: 1, b: 2, ab: 3 } as Record<string, unknown>, merges: ["a b"] as unknown[] },
  });
  const cases: [string, (j: ReturnType<typeof base>) => void, RegExp][] = [
    ["merges null", (j) => { j.model.merges = null as never; }, /model\.merges = null: expected an array/],
    ["merges of numbers", (j) => { j.model.merges = [1, 2]; }, /model\.merges\[0\] = 1: expected a string "a b"/],
    ["vocab null", (j) => { j.model.vocab = null as never; }, /model\.vocab = null: expected an object/],
    ["added_tokens an object", (j) => { j.added_tokens = {} as never; }, /added_tokens = an object: expected an array/],
    ["a Unigram model", (j) => { (j.model as Record<string, unknown>).type = "Unigram"; }, /model\.type = "Unigram": unsupported tokenizer model/],
    ["a token id of 1e9", (j) => { j.model.vocab.b = 1e9; }, /model\.vocab\["b"\] = 1000000000: expected a token id in \[0, 5\)/],
    ["an added token id of 1e9", (j) => { j.added_tokens[0].id = 1e9; }, /added_tokens\[0\]\.id = 1000000000/],
    ["an added token of a megabyte", (j) => { j.added_tokens[0].content = "x".repeat(1 << 20); }, /added_tokens\[0\]\.content = "xxx.*": longer than 4096 characters/],
    ["post_processor.single null", (j) => { (j.post_processor as Record<string, unknown>).single = null; }, /post_processor\.single = null: expected an array/],
    ["an unknown pre_tokenizer", (j) => { (j as Record<string, unknown>).pre_tokenizer = { type: "Nope" }; }, /pre_tokenizer\.type = "Nope": unknown type/],
    ["an unterminated regex", (j) => { (j as Record<string, unknown>).pre_tokenizer = { type: "Split", pattern: { Regex: "([a-z" }, behavior: "Isolated", invert: false }; }, /tokenizer library failed to build the tokenizer: .*(Invalid regular expression|Unterminated)/],
    // a megabyte string where the library inserts it into the text (each encode took 5-17 s) or
    // compiles it: one error naming the field, before the library sees it
    ["a Prepend normalizer of a megabyte", (j) => { (j as Record<string, unknown>).normalizer = { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "\u2581".repeat(1 << 20) }] }; }, /normalizer\.normalizers\[0\]\.prepend = "▁▁▁.*": longer than 256 characters \(it is inserted into the text it works on, each time it applies\)/],
    ["a Replace normalizer's content of a megabyte", (j) => { (j as Record<string, unknown>).normalizer = { type: "Replace", pattern: { String: " " }, content: "x".repeat(1 << 20) }; }, /normalizer\.content = "xxx.*": longer than 256 characters/],
    ["a Replace normalizer's pattern of a megabyte", (j) => { (j as Record<string, unknown>).normalizer = { type: "Replace", pattern: { String: "x".repeat(1 << 20) }, content: "" }; }, /normalizer\.pattern\.String = "xxx.*": longer than 4096 characters/],
    ["a Split pre_tokenizer regex of a megabyte", (j) => { (j as Record<string, unknown>).pre_tokenizer = { type: "Split", pattern: { Regex: "a".repeat(1 << 20) }, behavior: "Isolated", invert: false }; }, /pre_tokenizer\.pattern\.Regex = "aaa.*": longer than 4096 characters/],
    ["a Metaspace replacement of a megabyte", (j) => { (j as Record<string, unknown>).pre_tokenizer = { type: "Metaspace", replacement: "x".repeat(1 << 20), prepend_scheme: "always", split: true }; }, /pre_tokenizer\.replacement = "xxx.*": longer than 256 characters/],
    ["a decoder's content of a megabyte", (j) => { (j as Record<string, unknown>).decoder = { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "\u2581" }, content: "x".repeat(1 << 20) }] }; }, /decoder\.decoders\[0\]\.content = "xxx.*": longer than 256 characters/],
    ["a template's special token of a megabyte", (j) => { (j.post_processor.special_tokens as Record<string, unknown>) = { "<s>": { id: "<s>", ids: [0], tokens: ["s".repeat(1 << 20)] } }; }, /post_processor\.special_tokens\.<s>\.tokens\[0\] = "sss.*": longer than 4096 characters/],
    ["a vocabulary token of a megabyte", (j) => { j.model.vocab["v".repeat(1 << 20)] = 4; }, /model\.vocab\["vvv.*"\] \(the token\) = "vvv.*": longer than 4096 characters/],
    ["a normalizer pattern that is not {Regex} or {String}", (j) => { (j as Record<string, unknown>).normalizer = { type: "Replace", pattern: 5, content: "" }; }, /normalizer\.pattern = 5/],
  ];
  for (const [name, edit, pattern] of cases) {
    it(`${name}: one TokenizerError naming the field`, () => {
      const j = base();
      edit(j);
      // no timed assertion here (the machine's load would decide it): bounded build time is the
      // fuzzer's per-case time limit (tests/fuzz)
      assert.throws(() => tokenizerFromHF(JSON.stringify(j)), (e: unknown) => {
        assert.ok(e instanceof TokenizerError, `${(e as Error)?.name}: ${(e as Error)?.message}`);
        assert.match((e as Error).message, pattern);
        return true;
      });
    });
  }

  it("an unk_token missing from the vocabulary is refused at load (unknown pieces would get no id)", () => {
    const j = base();
    (j.model as Record<string, unknown>).unk_token = "<unk>";
    assert.throws(() => tokenizerFromHF(JSON.stringify(j)), (e: unknown) => e instanceof TokenizerError && /model\.unk_token = "<unk>": is not in the vocabulary/.test((e as Error).message));
    j.model.vocab["<unk>"] = 4;
    const t = tokenizerFromHF(JSON.stringify(j));
    assert.deepEqual(t.encode("abz", { addBos: false }), [3, 4]);
  });

  it("invalid JSON names tokenizer.json", () => {
    assert.throws(() => tokenizerFromHF("{\"model\": "), (e: unknown) => e instanceof ModelFormatError && /^tokenizer\.json: json: not valid JSON/.test((e as Error).message));
  });
});

describe("vocabularies cross-checked at load", () => {
  it("a tokenizer with more tokens than the model's embedding rows", async () => {
    const m = tinyHF("llama");
    const tj = JSON.parse(await m.get("tokenizer.json")!.text());
    for (let i = 64; i < 70; i++) tj.model.vocab[`t${i}`] = i;
    m.set("tokenizer.json", new Blob([JSON.stringify(tj)]));
    await rejectsWith(LLM.load(m), ModelFormatError, /vocab_size = 64: the tokenizer has 70 tokens but the model's embedding has 64 rows/);
  });

  it("special ids outside the tokenizer's vocabulary; a llama2.c vocabulary without \" \"", () => {
    const c = tinyConfig("llama");
    const tok = (o: object) => ({ kind: "hf", vocabSize: 64, bos: 1, eos: [2], addBos: true, ...o }) as unknown as Tokenizer;
    checkVocab(c, tok({}), "m");
    assert.throws(() => checkVocab(c, tok({ bos: 64 }), "m"), /m: bos token id = 64: not a token id of the 64-token vocabulary/);
    assert.throws(() => checkVocab(c, tok({ eos: [2, -1] }), "m"), /m: eos token id = -1/);
    assert.throws(() => checkVocab(c, tok({ vocabSize: 63, kind: "llama2c", tokens: [] }), "m"), /the tokenizer has 63 tokens but the model's embedding has 64 rows \(a llama2\.c tokenizer must match exactly/);
    assert.throws(() => checkVocab(c, tok({ kind: "llama2c", tokens: Array.from({ length: 64 }, (_, i) => `t${i}`) }), "m"), /vocabulary has no " " token/);
  });

  it("a llama2.c checkpoint with another model's tokenizer.bin", { skip: needFiles("models/stories260K.bin", "models/babyllama-tok105/tok105.bin") }, async () => {
    await rejectsWith(LLM.load(sharedPath("models", "stories260K.bin"), { tokenizer: sharedPath("models", "babyllama-tok105", "tok105.bin") }),
      ModelFormatError, /vocab_size = 512: the tokenizer has 105 tokens but the model's embedding has 512 rows/);
  });
});

describe("NaN and Inf caught and named", () => {
  it("firstNonFiniteF32 finds the first NaN or Inf at any index and tail", () => {
    for (const n of [0, 1, 255, 256, 257, 1000]) {
      const a = new Float32Array(n).fill(1.5);
      assert.equal(firstNonFiniteF32(a), -1);
      for (const at of [0, n >> 1, n - 1].filter((i) => i >= 0 && i < n)) {
        for (const v of [NaN, Infinity, -Infinity]) { a[at] = v; assert.equal(firstNonFiniteF32(a), at); a[at] = 1.5; }
      }
    }
  });

  it("a NaN or Inf weight is refused at load, naming the tensor and the element", async () => {
    for (const v of [NaN, -Infinity]) {
      const g = tinyGGUFWith((n, d) => { if (n === "blk.1.ffn_up.weight") d[17] = v; });
      await rejectsWith(LLM.load(g), ModelFormatError, new RegExp(`tensor blk\\.1\\.ffn_up\\.weight: element 17 is ${v}`));
    }
  });

  it("non-finite logits stop generation naming the first layer whose output went non-finite", async () => {
    // finite but huge weights: layer 1's MLP output overflows to Inf
    const g = tinyGGUFWith((n, d) => { if (n === "blk.1.ffn_down.weight") d.fill(3e38); });
    const llm = await LLM.load(g);
    await assert.rejects(llm.complete({ tokens: [1, 2, 3] }, { maxTokens: 3, temperature: 0 }), (e: unknown) => {
      assert.ok(e instanceof NonFiniteError, String(e));
      assert.equal(e.layer, 1);
      assert.match(e.message, /non-finite logits \(NaN\) at position 2: non-finite values at position \d: layer 1 \(blk\.1\.\*\) is the first whose output is NaN or Inf/);
      return true;
    });
    // the model is usable again afterwards (the error released the generation)
    await assert.rejects(llm.complete({ tokens: [1] }, { maxTokens: 1 }), NonFiniteError);
    llm.dispose();
    // "layers" checks every step; "off" lets the NaN through, which is what the default catches
    const dbg = await LLM.load(g, { checkFinite: "layers" });
    await assert.rejects(dbg.complete({ tokens: [1, 2, 3] }, { maxTokens: 3 }), (e: unknown) => e instanceof NonFiniteError && e.layer === 1);
    dbg.dispose();
    const off = await LLM.load(g, { checkFinite: "off" });
    const r = await off.complete({ tokens: [1, 2, 3] }, { maxTokens: 3, temperature: 0 });
    assert.ok(!Number.isFinite(off.engine.model.logits.f32()[0]));
    assert.equal(r.tokens.length, 3);
    off.dispose();
  });

  it("the output head alone going non-finite is named as such", async () => {
    const g = tinyGGUFWith((n, d) => { if (n === "output.weight") d.fill(3e38); });
    const llm = await LLM.load(g);
    await assert.rejects(llm.complete({ tokens: [1, 2] }, { maxTokens: 2 }), (e: unknown) => e instanceof NonFiniteError && e.layer === "output" && /output head/.test(e.message));
    llm.dispose();
  });
});

describe("files, threads and memory", () => {
  it("a FIFO is refused from stat() before it is opened (no hang), by the loader and the CLI", { skip: process.platform === "win32" ? "no FIFOs" : false }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "budgetkv-fifo-"));
    try {
      const fifo = join(dir, "model.gguf");
      const mk = spawnSync("mkfifo", [fifo]);
      if (mk.status !== 0) return; // no mkfifo here: nothing to test
      await rejectsWith(openModel(fifo), SourceError, /is not a regular file/);
      let err = "";
      const code = await main(["run", "-m", fifo], { out: () => {}, err: (s) => { err += s; } });
      assert.equal(code, 1);
      assert.equal(err.trim().split("\n").length, 1, err);
      assert.match(err, /budgetkv: error: .*model\.gguf: is not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("CLI: -t past the limit and -c 0 are usage errors (exit 2, one line)", async () => {
    for (const args of [["-t", "65"], ["-t", "0"], ["-c", "0"]]) {
      let err = "";
      const code = await main(["run", "-m", "nowhere.gguf", ...args], { out: () => {}, err: (s) => { err += s; } });
      assert.equal(code, 2, err);
      assert.equal(err.trim().split("\n").length, 1, err);
    }
  });

  it("34 threads (past a 32-bit dispatch mask) give one thread's logits", async () => {
    const g = tinyGGUFWith(() => {});
    const one = await LLM.load(g);
    const many = await LLM.load(g, { threads: 34 });
    try {
      if (many.threads === 1) return; // no workers in this runtime
      assert.equal(many.threads, 34);
      const a = await one.complete({ tokens: [1, 2, 3, 4] }, { maxTokens: 4, temperature: 0 });
      const b = await many.complete({ tokens: [1, 2, 3, 4] }, { maxTokens: 4, temperature: 0 });
      assert.deepEqual(b.tokens, a.tokens);
      assert.deepEqual(many.engine.model.logits.f32(), one.engine.model.logits.f32());
    } finally {
      one.dispose();
      many.dispose();
    }
  });

  it("weights that cannot fit the heap are refused from the header, before tensor data is read", async () => {
    const g = tinyGGUFWith(() => {});
    const rt = await createRuntime({ build: "ts" });
    rt.heap.limitBytes = rt.heap.stats.bytesInUse + 20_000; // the tiny model needs ~70 KB
    const src = memorySource(g, "big.gguf");
    let reads = 0;
    const spy = { ...src, read: (o: number, n: number) => { reads++; return src.read(o, n); } };
    const inUse = rt.heap.stats.bytesInUse;
    await rejectsWith(LLM.load(spy, { runtime: rt }), ModelFormatError, /big\.gguf: tensors: the weights need 0\.00 GiB of WebAssembly memory .* more than the 0\.00 GiB available/);
    assert.ok(reads <= 2, `${reads} reads: the format sniff and the header only`); // tensors are read one by one (20 reads)
    assert.equal(rt.heap.stats.bytesInUse, inUse);
  });
});

describe("generations on one model", () => {
  it("concurrent generate() calls queue: each gives a solo run's tokens, never another's cache", async () => {
    const llm = await LLM.load(tinyGGUFWith(() => {}));
    try {
      const solo = await llm.complete({ tokens: [5, 6, 7] }, { maxTokens: 8, temperature: 0 });
      const soloB = await llm.complete({ tokens: [9, 9] }, { maxTokens: 8, temperature: 0 });
      const soloG = await llm.complete({ tokens: [1] }, { maxTokens: 4, temperature: 0 });
      const a = llm.complete({ tokens: [5, 6, 7] }, { maxTokens: 8, temperature: 0 });
      const b = llm.complete({ tokens: [9, 9] }, { maxTokens: 8, temperature: 0 });
      const g = llm.generate({ tokens: [1] }, { maxTokens: 4, temperature: 0 });
      assert.deepEqual((await b).tokens, soloB.tokens);
      assert.deepEqual((await g.result).tokens, soloG.tokens);
      assert.deepEqual((await a).tokens, solo.tokens);
      assert.deepEqual((await llm.complete({ tokens: [5, 6, 7] }, { maxTokens: 8, temperature: 0 })).tokens, solo.tokens);
    } finally {
      llm.dispose();
    }
  });

  it("an abort stops generation within one token", { skip: needFiles("models/stories260K.bin", "models/tok512.bin") }, async () => {
    const llm = await LLM.load(sharedPath("models", "stories260K.bin"));
    try {
      // the loop reads signal.aborted before each forward pass and again after each token is
      // handed out (1-2 reads a token): a signal that turns at its 6th read stops within 5 tokens
      let reads = 0;
      const counting = { get aborted() { return ++reads > 5; }, throwIfAborted() {} } as unknown as AbortSignal;
      const r = await llm.complete("Once upon a time", { maxTokens: 200, temperature: 0, signal: counting });
      assert.equal(r.finishReason, "abort");
      assert.ok(r.tokens.length >= 2 && r.tokens.length <= 5, `${r.tokens.length} tokens after 5 reads`);
      // a real controller, aborted from the stream's consumer while tokens are being produced
      const ac = new AbortController();
      const gen = llm.generate("Once upon a time", { maxTokens: 400, temperature: 0, signal: ac.signal });
      let pieces = 0;
      for await (const _ of gen) if (++pieces === 5) ac.abort();
      const r2 = await gen.result;
      assert.equal(r2.finishReason, "abort");
      assert.ok(r2.tokens.length < 400);
    } finally {
      llm.dispose();
    }
  });
});

describe("a prompt that does not fit the context", () => {
  it("is one ContextError (a RangeError) naming both sizes", async () => {
    const { ContextError } = await import("../src/util/context-error.ts");
    const llm = await LLM.load(tinyGGUFWith(() => {}), { contextSize: 4 });
    try {
      const e = await llm.complete({ tokens: [1, 2, 3, 4, 5, 6] }, { maxTokens: 2 }).then(() => undefined, (x) => x);
      assert.ok(e instanceof ContextError && e instanceof RangeError, String(e));
      assert.match(e.message, /the prompt is 6 tokens, longer than the context size 4/);
      assert.equal(e.tokens, 6);
      assert.equal(e.contextSize, 4);
    } finally {
      llm.dispose();
    }
  });
});
