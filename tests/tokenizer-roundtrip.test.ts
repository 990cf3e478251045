// Every tokenizer gives 100 KB of TinyStories text back from its own tokens. (Speed is measured
// in bench/tokenizer.ts, not asserted here: wall time on a shared machine is not a test.)
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { readGGUFMeta } from "./helpers/vocabtests.ts";
import { tokenizerFromGGUF, tokenizerFromHF, tokenizerFromLlama2c } from "../src/tokenizer/index.ts";
import { cleanSpaces } from "../src/tokenizer/bpe.ts";
import type { Tokenizer } from "../src/tokenizer/types.ts";

const FILES = ["data/tinystories_val.txt", "models/vocab/ggml-vocab-llama-spm.gguf", "models/vocab/ggml-vocab-gpt-2.gguf",
  "models/tokenizer.bin", "models/tinystories-656k/tokenizer.json", "models/tinystories-656k/tokenizer_config.json"];

const loaders: [string, () => Tokenizer][] = [
  ["spm (llama-spm)", () => tokenizerFromGGUF(readGGUFMeta(FILES[1]), FILES[1])],
  ["bpe (gpt-2)", () => tokenizerFromGGUF(readGGUFMeta(FILES[2]), FILES[2])],
  ["llama2c (tokenizer.bin)", () => tokenizerFromLlama2c(new Uint8Array(readFileSync(sharedPath(FILES[3]))), FILES[3])],
  ["hf (tinystories-656k)", () => tokenizerFromHF(readFileSync(sharedPath(FILES[4]), "utf8"), JSON.parse(readFileSync(sharedPath(FILES[5]), "utf8")))],
];

describe("tokenizer round trip: decode(encode(100 KB))", { skip: needFiles(...FILES) }, () => {
  const text = () => readFileSync(sharedPath(FILES[0]), "utf8");
  for (const [name, load] of loaders) {
    it(name, () => {
      const tok = load();
      const big = text().slice(0, 100_000);
      // the space prefix is stripped on decode: by llama.cpp without a leading BOS, by run.c after it
      const ids = tok.encode(big, { addBos: tok.kind === "llama2c" });
      const back = tok.decode(ids);
      assert.ok(ids.length > 20_000);
      // llama.cpp's gpt-2 decode cleans spaces
      assert.ok(back === (tok.kind === "bpe" ? cleanSpaces(big) : big), "decode(encode(text)) gives the text back");
    });
  }
});
