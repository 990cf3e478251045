// llama2.c tokenizer.bin against run.c: prompt ids recorded from run.c, hand-checked merges,
// round trips, agreement with llama.cpp on the Llama 2 vocabulary, and bad files.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { readVocabCases } from "./helpers/vocabtests.ts";
import { tokenizerFromLlama2c } from "../src/tokenizer/index.ts";
import { ModelFormatError } from "../src/format/errors.ts";
import type { Tokenizer } from "../src/tokenizer/types.ts";

const load = (rel: string) => tokenizerFromLlama2c(new Uint8Array(readFileSync(sharedPath(rel))), rel);

function paragraphs(n: number): string[] {
  const text = readFileSync(sharedPath("data", "tinystories_val.txt"), "utf8");
  return text.split(/\n\n+/).filter((p) => p.length > 0).slice(0, n);
}

function streamedText(tok: Tokenizer, ids: readonly number[]): string {
  const d = tok.decoder();
  return ids.map((id) => d.push(id)).join("") + d.flush();
}

// Prompt ids printed by run.c (karpathy/llama2.c 350e04f, `./run stories260K.bin -z tok512.bin
// -t 0 -i PROMPT`, instrumented to print the ids), recorded in the refs fixtures
// llama2c-stories260k.json / llama2c-babyllama-tok105.json.
const RUN_C_TOK512: [string, number[]][] = [
  ["", [1]],
  ["Once upon a time", [1, 403, 407, 261, 378]],
  ["The cat", [1, 291, 280, 294]],
  ["Lily and Ben went to the", [1, 317, 269, 368, 302, 263, 377, 267, 265]],
  ["One day, a little boy", [1, 385, 328, 432, 261, 376, 268, 414, 422]],
  ["Tom said, \"Look at the big dog!\" and ran.", [1, 274, 287, 336, 432, 313, 438, 347, 433, 261, 413, 265, 370, 400, 428, 443, 436, 269, 352, 303, 426]],
  ["Zoë ate a café cake.", [1, 410, 469, 414, 198, 174, 261, 413, 411, 261, 280, 412, 431, 485, 280, 412, 354, 426]],
];
const RUN_C_TOK105: [string, number[]][] = [
  ["", [1]],
  ["Once upon a time", [1, 3, 34, 9, 22, 4, 3, 18, 20, 7, 9, 3, 5, 3, 6, 10, 16, 4]],
  ["The dog said, \"Hi!\"", [1, 3, 27, 8, 4, 3, 11, 7, 21, 3, 12, 5, 10, 11, 25, 3, 29, 33, 10, 36, 29]],
];

describe("llama2.c tok512.bin", { skip: needFiles("models/tok512.bin", "data/tinystories_val.txt") }, () => {
  it("reads the file", () => {
    const t = load("models/tok512.bin");
    assert.equal(t.kind, "llama2c");
    assert.equal(t.vocabSize, 512);
    assert.equal(t.bos, 1);
    assert.deepEqual(t.eos, [2]);
    assert.equal(t.piece(1), "\n<s>\n");
    assert.equal(t.piece(403), " Once");
  });

  it("encodes prompts exactly as run.c", () => {
    const t = load("models/tok512.bin");
    for (const [prompt, ids] of RUN_C_TOK512) assert.deepEqual(t.encode(prompt), ids, JSON.stringify(prompt));
  });

  it("\"Once upon a time\": the merges by hand", () => {
    // symbols: BOS " " O n c e " " u p o n " " a " " t i m e. Scores of the pairs in tok512:
    // " t" 0 > " a" -2 > "im" -29 > "on" -30 > " u" -59 > " O" -60 > " On" (" O"+"n") -62 >
    // "ce" -72 > " up" -91 > "ime" -110 > " time" -119 > " Once" -144 > " upon" -148; no other
    // pair ("On", "nc", "up", "po", "ti", "me", " ti", "Onc", ...) is in the vocabulary.
    const t = load("models/tok512.bin");
    const ids = t.encode("Once upon a time");
    assert.deepEqual(ids.map((i) => t.piece(i)), ["\n<s>\n", " Once", " upon", " a", " time"]);
    assert.deepEqual(t.encode("Once upon a time", { addBos: false }), [403, 407, 261, 378]);
  });

  it("code points missing from the vocabulary fall back to bytes + 3", () => {
    const t = load("models/tok512.bin");
    // ë = C3 AB -> 198 174
    assert.deepEqual(t.encode("ë", { addBos: false }), [410, 0xc3 + 3, 0xab + 3]);
    assert.deepEqual(t.encode("", { addBos: false }), []);
    assert.deepEqual(t.encode("   ", { addBos: false }).map((i) => t.piece(i)).join(""), "    ");
  });

  it("decode strips the space after BOS only; byte tokens join into UTF-8, also streamed", () => {
    const t = load("models/tok512.bin");
    assert.equal(t.decode(t.encode("Once upon a time")), "Once upon a time");
    assert.equal(t.decode(t.encode("Once upon a time", { addBos: false })), " Once upon a time");
    const ids = t.encode("Zoë ate a café cake.");
    assert.equal(t.decode(ids), "Zoë ate a café cake.");
    const d = t.decoder();
    const parts = ids.map((id) => d.push(id));
    assert.equal(parts[ids.indexOf(0xc3 + 3)], "", "the lead byte of ë is held back");
    assert.equal(parts[ids.indexOf(0xab + 3)], "ë");
    assert.equal(parts.join("") + d.flush(), "Zoë ate a café cake.");
    assert.equal(t.decode([1, 403, 2], { skipSpecial: false }), "\n<s>\nOnce\n</s>\n");
  });

  it("round-trips TinyStories paragraphs, streamed alike", () => {
    const t = load("models/tok512.bin");
    for (const p of paragraphs(300)) {
      const ids = t.encode(p);
      assert.equal(t.decode(ids), p);
      assert.equal(streamedText(t, ids), p);
    }
  });
});

describe("llama2.c tok105.bin (no byte tokens)", { skip: needFiles("models/babyllama-tok105/tok105.bin") }, () => {
  it("encodes prompts exactly as run.c", () => {
    const t = load("models/babyllama-tok105/tok105.bin");
    assert.equal(t.vocabSize, 105);
    for (const [prompt, ids] of RUN_C_TOK105) assert.deepEqual(t.encode(prompt), ids, JSON.stringify(prompt));
  });

  it("a character outside the vocabulary becomes <unk> (run.c would emit ids past the vocabulary)", () => {
    const t = load("models/babyllama-tok105/tok105.bin");
    const ids = t.encode("a😀", { addBos: false });
    assert.deepEqual(ids, [3, 5, 0, 0, 0, 0]); // " ", "a", then the four bytes of 😀
  });
});

describe("llama2.c tokenizer.bin (Llama 2 vocabulary) vs llama.cpp", {
  skip: needFiles("models/tokenizer.bin", "models/vocab/ggml-vocab-llama-spm.gguf.inp", "models/vocab/ggml-vocab-llama-spm.gguf.out"),
}, () => {
  it("run.c's encode agrees with llama.cpp on all 46 llama-spm test inputs", () => {
    // run.c merges the dummy-prefix " " token like llama.cpp merges its escaped space prefix;
    // no input of the vector file separates the two algorithms.
    const t = load("models/tokenizer.bin");
    assert.equal(t.vocabSize, 32000);
    for (const c of readVocabCases("llama-spm")) assert.deepEqual(t.encode(c.input, { addBos: false }), c.ids, JSON.stringify(c.input));
  });
});

describe("llama2.c tokenizer.bin format errors", () => {
  const file = (maxLen: number, records: [number, Uint8Array][]) => {
    const parts: number[] = [];
    const i32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); parts.push(...b); };
    const f32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, v, true); parts.push(...b); };
    i32(maxLen);
    for (const [score, bytes] of records) { f32(score); i32(bytes.length); parts.push(...bytes); }
    return Uint8Array.from(parts);
  };
  const enc = (s: string) => new TextEncoder().encode(s);
  const good: [number, Uint8Array][] = [[0, enc("<unk>")], [0, enc("\n<s>\n")], [0, enc("\n</s>\n")], [-1, enc(" ")], [-2, enc("a")]];
  const isErr = (re: RegExp) => (e: unknown) => e instanceof ModelFormatError && re.test(e.message);

  it("a well-formed file loads and encodes", () => {
    const t = tokenizerFromLlama2c(file(6, good), "t.bin");
    assert.deepEqual(t.encode("a a"), [1, 3, 4, 3, 4]);
  });

  it("names the file, the field and the value", () => {
    assert.throws(() => tokenizerFromLlama2c(new Uint8Array(2), "t.bin"), isErr(/^t\.bin: max_token_length/));
    assert.throws(() => tokenizerFromLlama2c(file(0, good), "t.bin"), isErr(/^t\.bin: max_token_length = 0/));
    assert.throws(() => tokenizerFromLlama2c(file(6, good).subarray(0, 33), "t.bin"), isErr(/^t\.bin: token [0-9]+/));
    assert.throws(() => tokenizerFromLlama2c(file(3, good), "t.bin"), isErr(/^t\.bin: token 0 length = 5: must be in 0\.\.max_token_length \(3\)/));
    assert.throws(() => tokenizerFromLlama2c(file(6, [[NaN, enc("x")], ...good]), "t.bin"), isErr(/^t\.bin: token 0 score = NaN/));
    assert.throws(() => tokenizerFromLlama2c(file(6, good), "t.bin", 512), isErr(/^t\.bin: token count = 5: the model's vocab_size is 512/));
  });
});
