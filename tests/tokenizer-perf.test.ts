// Every tokenizer encodes and decodes 100 KB of text in under a second.
// Each tokenizer is warmed up on a different 10 KB slice first (JIT), then timed on 100 KB.
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

describe("tokenizer speed: 100 KB in < 1 s", { skip: needFiles(...FILES) }, () => {
  const text = () => readFileSync(sharedPath(FILES[0]), "utf8");
  for (const [name, load] of loaders) {
    it(name, () => {
      const all = text(), tok = load();
      tok.encode(all.slice(300_000, 310_000));
      const big = all.slice(0, 100_000);
      const t0 = performance.now();
      // the space prefix is stripped on decode: by llama.cpp without a leading BOS, by run.c after it
      const ids = tok.encode(big, { addBos: tok.kind === "llama2c" });
      const t1 = performance.now();
      const back = tok.decode(ids);
      const t2 = performance.now();
      assert.ok(ids.length > 20_000);
      // llama.cpp's gpt-2 decode cleans spaces
      assert.ok(back === (tok.kind === "bpe" ? cleanSpaces(big) : big), "decode(encode(text)) gives the text back");
      assert.ok(t1 - t0 < 1000, `encode took ${(t1 - t0).toFixed(0)} ms`);
      assert.ok(t2 - t1 < 1000, `decode took ${(t2 - t1).toFixed(0)} ms`);
    });
  }
});
