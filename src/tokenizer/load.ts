// The tokenizer of a model file: embedded in GGUF metadata, tokenizer.json beside safetensors,
// or, for llama2.c checkpoints, a tokenizer.bin given explicitly or found beside the model
// (tokenizer.bin, then tok*.bin).
import type { ModelFile, ModelSource } from "../format/model-file.ts";
import { isByteSource, openSource, type ByteSource, type SourceInput } from "../io/source.ts";
import type { Tokenizer } from "./types.ts";
import { ModelFormatError } from "../format/errors.ts";
import { tokenizerFromGGUF, tokenizerFromHF, tokenizerFromLlama2c } from "./index.ts";

export type TokenizerSource = SourceInput | ByteSource;

export async function loadTokenizer(file: ModelFile, explicit?: TokenizerSource, modelSource?: ModelSource): Promise<Tokenizer> {
  if (explicit !== undefined) {
    const src = isByteSource(explicit) ? explicit : await openSource(explicit);
    try { return tokenizerFromLlama2c(await src.read(0, src.size), src.name); } finally { await src.close(); }
  }
  if (file.format === "gguf") return tokenizerFromGGUF(file.metadata!, file.name);
  if (file.format === "safetensors") {
    if (!file.hf?.tokenizerJson) throw new ModelFormatError(file.name, "tokenizer.json", undefined, "missing: a Hugging Face model needs its tokenizer.json beside the weights");
    return tokenizerFromHF(file.hf.tokenizerJson, file.hf.tokenizerConfig);
  }
  for (const cand of await besideCandidates(modelSource)) {
    const src = await openSource(cand);
    try {
      const tok = tokenizerFromLlama2c(await src.read(0, src.size), src.name);
      if (tok.vocabSize === file.config.vocabSize) return tok;
    } catch {
      // not a tokenizer of this format; try the next
    } finally {
      await src.close();
    }
  }
  throw new ModelFormatError(file.name, "tokenizer", undefined, `a llama2.c checkpoint needs its tokenizer: put tokenizer.bin or tok*.bin with ${file.config.vocabSize} tokens beside it, or pass --tokenizer FILE`);
}

// tokenizer.bin, then tok*.bin, in the model file's directory (paths only)
async function besideCandidates(src: ModelSource | undefined): Promise<string[]> {
  if (typeof src !== "string" || /^https?:\/\//i.test(src)) return [];
  const { readdir } = await import("node:fs/promises");
  const { dirname, join } = await import("node:path");
  const dir = dirname(src);
  const names = await readdir(dir).catch(() => [] as string[]);
  const picks = [...(names.includes("tokenizer.bin") ? ["tokenizer.bin"] : []), ...names.filter((n) => /^tok.*\.bin$/.test(n)).sort()];
  return picks.map((n) => join(dir, n));
}
