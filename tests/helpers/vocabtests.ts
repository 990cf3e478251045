// Reads llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf.inp/.out), as its
// tests/test-tokenizer-0.cpp does: inputs are separated by "\n__ggml_vocab_test__\n" (so each
// input keeps its own trailing newlines except the one before the marker); each .out line holds
// the expected ids, without BOS, for add_special = false and parse_special = false.
import { readFileSync } from "node:fs";
import { parseGGUFHeader } from "../../src/format/gguf.ts";
import type { GGUFValue } from "../../src/format/gguf.ts";
import { sharedPath } from "./shared.ts";

export interface VocabCase { input: string; ids: number[] }

export function readVocabCases(vocab: string): VocabCase[] {
  const base = sharedPath("models", "vocab", `ggml-vocab-${vocab}.gguf`);
  const raw = readFileSync(base + ".inp", "utf8");
  const sep = "\n__ggml_vocab_test__\n";
  const inputs: string[] = [];
  for (let pos = 0; pos < raw.length;) {
    const next = raw.indexOf(sep, pos);
    if (next < 0) { inputs.push(raw.slice(pos)); break; }
    inputs.push(raw.slice(pos, next));
    pos = next + sep.length;
  }
  const outs = readFileSync(base + ".out", "utf8").split("\n");
  if (outs[outs.length - 1] === "") outs.pop();
  if (outs.length !== inputs.length) throw new Error(`${base}: ${inputs.length} inputs but ${outs.length} outputs`);
  return inputs.map((input, i) => ({ input, ids: outs[i].trim() === "" ? [] : outs[i].trim().split(" ").map(Number) }));
}

export function readGGUFMeta(rel: string): Map<string, GGUFValue> {
  const bytes = new Uint8Array(readFileSync(sharedPath(rel)));
  return parseGGUFHeader(bytes, bytes.length, rel).metadata;
}
