// GGUF tokenizers against llama.cpp: its test vectors (every case, both vocabularies), its
// detokenizer rules, special-token parsing, streaming, and the pre-tokenizer scanners.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { needFiles } from "./helpers/shared.ts";
import { readGGUFMeta, readVocabCases } from "./helpers/vocabtests.ts";
import { tokenizerFromGGUF } from "../src/tokenizer/index.ts";
import { cleanSpaces } from "../src/tokenizer/bpe.ts";
import { RE_GPT2, RE_LLAMA3, RE_QWEN2, splitWords } from "../src/tokenizer/pretokenize.ts";
import { ModelFormatError } from "../src/format/errors.ts";
import type { Tokenizer } from "../src/tokenizer/types.ts";
import type { GGUFValue } from "../src/format/gguf.ts";

const SPM = "models/vocab/ggml-vocab-llama-spm.gguf";
const GPT2 = "models/vocab/ggml-vocab-gpt-2.gguf";

const cache = new Map<string, Tokenizer>();
function load(file: string): Tokenizer {
  let t = cache.get(file);
  if (!t) { t = tokenizerFromGGUF(readGGUFMeta(file), file); cache.set(file, t); }
  return t;
}

function streamed(tok: Tokenizer, ids: readonly number[]): string[] {
  const d = tok.decoder();
  return [...ids.map((id) => d.push(id)), d.flush()];
}

for (const [vocab, file] of [["llama-spm", SPM], ["gpt-2", GPT2]] as const) {
  describe(`llama.cpp vectors: ${vocab}`, { skip: needFiles(file, file + ".inp", file + ".out") }, () => {
    it("encodes every test input exactly as llama.cpp (no BOS, no special parsing)", () => {
      const tok = load(file);
      const cases = readVocabCases(vocab);
      assert.equal(cases.length, 46);
      for (const c of cases) assert.deepEqual(tok.encode(c.input, { addBos: false }), c.ids, `input ${JSON.stringify(c.input)}`);
    });

    it("decodes every vector back (spm: the input; gpt-2: the input after clean_spaces), streamed alike", () => {
      const tok = load(file);
      for (const c of readVocabCases(vocab)) {
        const want = vocab === "gpt-2" ? cleanSpaces(c.input) : c.input;
        assert.equal(tok.decode(c.ids), want, `ids of ${JSON.stringify(c.input)}`);
        assert.equal(streamed(tok, c.ids).join(""), want, `streamed ids of ${JSON.stringify(c.input)}`);
      }
    });
  });
}

describe("spm tokenizer (llama.cpp semantics)", { skip: needFiles(SPM) }, () => {
  const tok = () => load(SPM);

  it("reads BOS/EOS/add_bos from the metadata", () => {
    const t = tok();
    assert.equal(t.kind, "spm");
    assert.equal(t.vocabSize, 32000);
    assert.equal(t.bos, 1);
    assert.deepEqual(t.eos, [2]);
    assert.equal(t.addBos, true);
    assert.equal(t.piece(15043), "\u2581Hello");
  });

  it("adds BOS by default; empty text is [BOS] or nothing", () => {
    const t = tok();
    assert.deepEqual(t.encode("Hello world"), [1, 15043, 3186]);
    assert.deepEqual(t.encode(""), [1]);
    assert.deepEqual(t.encode("", { addBos: false }), []);
  });

  it("whitespace-only text: the space prefix and U+2581 merges", () => {
    const t = tok();
    // from the llama.cpp vectors: " " -> "▁▁" (259), "\t" -> "▁" + <0x09>
    assert.deepEqual(t.encode(" ", { addBos: false }), [259]);
    assert.deepEqual(t.encode("\t", { addBos: false }), [29871, 12]);
    assert.equal(t.decode([259]), " ");
  });

  it("detokenizes like llama.cpp: the first piece loses its space, but not after BOS", () => {
    const t = tok();
    assert.equal(t.decode([15043, 3186]), "Hello world");
    // llama_vocab::impl::detokenize clears remove_space when it drops a leading BOS
    assert.equal(t.decode([1, 15043, 3186]), " Hello world");
    assert.equal(t.decode([15043, 3186], { continuation: true }), " Hello world");
    assert.equal(t.decode([1, 15043, 2], { skipSpecial: false }), "<s> Hello</s>");
  });

  it("parses control tokens only with parseSpecial, with a space prefix after them", () => {
    const t = tok();
    const plain = t.encode("<s>Hi</s>", { addBos: false });
    assert.ok(!plain.includes(1) && !plain.includes(2), JSON.stringify(plain));
    // "Hi" after a special token gets the space prefix again: "▁Hi" = 6324
    assert.deepEqual(t.encode("<s>Hi</s>", { addBos: false, parseSpecial: true }), [1, 6324, 2]);
  });

  it("streams a character split across byte tokens only once it is whole", () => {
    const t = tok();
    const ids = t.encode("🦙!", { addBos: false }); // ▁ <F0> <9F> <A6> <99> !
    assert.deepEqual(ids, [29871, 243, 162, 169, 156, 29991]);
    assert.deepEqual(streamed(t, ids), ["", "", "", "", "🦙", "!", ""]);
    // an unfinished sequence is flushed as U+FFFD
    assert.deepEqual(streamed(t, [29871, 243, 162]), ["", "", "", "\ufffd"]);
  });

  it("rejects ids outside the vocabulary", () => {
    assert.throws(() => tok().decode([32000]), /outside the vocabulary/);
    assert.throws(() => tok().piece(-1), /outside the vocabulary/);
  });
});

describe("bpe tokenizer (llama.cpp semantics)", { skip: needFiles(GPT2) }, () => {
  const tok = () => load(GPT2);

  it("reads the gpt-2 vocabulary", () => {
    const t = tok();
    assert.equal(t.kind, "bpe");
    assert.equal(t.vocabSize, 50257);
    assert.equal(t.bos, 50256);
    assert.deepEqual(t.eos, [50256]);
    assert.equal(t.addBos, false);
    assert.equal(t.piece(15496), "Hello");
    assert.equal(t.piece(18435), "\u0120Hello"); // Ġ = the space byte
  });

  it("parses <|endoftext|> only with parseSpecial", () => {
    const t = tok();
    assert.deepEqual(t.encode("a<|endoftext|>b", { parseSpecial: true }), [64, 50256, 65]);
    assert.deepEqual(t.encode("a<|endoftext|>b"), [64, 27, 91, 437, 1659, 5239, 91, 29, 65]);
    assert.deepEqual(t.encode(""), []);
  });

  it("applies clean_spaces when decoding, also when streamed token by token", () => {
    const t = tok();
    for (const s of ["Hello , world !", "a ' b 's", "x 're y 've z 'd", "  ?  . ,", "I 'm here ' ok ' ", "' ' ' '", " 's 's 's"]) {
      const ids = t.encode(s);
      assert.equal(t.decode(ids), cleanSpaces(s), JSON.stringify(s));
      assert.equal(streamed(t, ids).join(""), t.decode(ids), `streamed ${JSON.stringify(s)}`);
    }
    assert.equal(cleanSpaces("Hello , world !"), "Hello, world!");
    assert.equal(cleanSpaces("a ' b"), "a'b");
    assert.equal(cleanSpaces("it 's he 'll we 're"), "it's he 'll we're");
  });

  it("an unknown pre-tokenizer or tokenizer model is an error naming it", () => {
    const meta = readGGUFMeta(GPT2);
    const with_ = (k: string, v: GGUFValue) => new Map([...meta, [k, v]]);
    assert.throws(() => tokenizerFromGGUF(with_("tokenizer.ggml.pre", "no-such-pre"), "x.gguf"), /no-such-pre/);
    assert.throws(() => tokenizerFromGGUF(with_("tokenizer.ggml.model", "t5"), "x.gguf"),
      (e: unknown) => e instanceof ModelFormatError && /x\.gguf: tokenizer\.ggml\.model = "t5"/.test(e.message));
    const noMerges = new Map(meta);
    noMerges.delete("tokenizer.ggml.merges");
    assert.throws(() => tokenizerFromGGUF(noMerges, "x.gguf"), /tokenizer\.ggml\.merges/);
  });
});

describe("pre-tokenizer scanners", () => {
  it("GPT-2 regex", () => {
    assert.deepEqual(splitWords("Hello world's  12ab!?  \n x", [RE_GPT2]), ["Hello", " world", "'s", " ", " 12", "ab", "!?", "  \n", " x"]);
    // U+FEFF is not White_Space (llama.cpp, Rust), unlike JavaScript's \s
    assert.deepEqual(splitWords("a \ufeffb", [RE_GPT2]), ["a", " \ufeff", "b"]);
  });

  it("Llama-3 regex: digits in threes, newlines kept with their run, case-insensitive contractions", () => {
    assert.deepEqual(splitWords("Hello world 12345", [RE_LLAMA3]), ["Hello", " world", " ", "123", "45"]);
    assert.deepEqual(splitWords("I'M ok.\n\n  next", [RE_LLAMA3]), ["I", "'M", " ok", ".\n\n", " ", " next"]);
  });

  it("Qwen2 regex through the collapsed-text path: single digits, non-ASCII letters", () => {
    assert.deepEqual(splitWords("héllo 123 世界!", [RE_QWEN2]), ["héllo", " ", "1", "2", "3", " 世界", "!"]);
  });
});
