// The one tokenizer dispatcher: the tokenizer of a model file, embedded in GGUF metadata
// (tokenizer.ggml.model: llama -> SPM, gpt2 -> BPE), tokenizer.json beside safetensors, or, for
// llama2.c checkpoints, a tokenizer.bin given explicitly or found beside the model
// (tokenizer.bin, then tok*.bin). The per-format factories are exported for tests and tools.
import type { ModelFile, ModelSource } from "../format/model-file.ts";
import { isByteSource, openSource, type ByteSource, type SourceInput } from "../io/source.ts";
import type { GGUFValue } from "../format/gguf.ts";
import { ModelFormatError } from "../format/errors.ts";
import { parseJson } from "../format/json.ts";
import { BpeTokenizer } from "./bpe.ts";
import { HFTokenizerAdapter } from "./hf.ts";
import { parseLlama2cTokenizer } from "./llama2c.ts";
import { SpmTokenizer } from "./spm.ts";
import type { Tokenizer } from "./types.ts";

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

// From the tokenizer.ggml.* metadata of a GGUF file (see parseGGUFHeader).
export function tokenizerFromGGUF(metadata: Map<string, GGUFValue>, name: string): Tokenizer {
  const model = metadata.get("tokenizer.ggml.model");
  if (model === undefined) throw new ModelFormatError(name, "tokenizer.ggml.model", undefined, "the file has no tokenizer");
  switch (model) {
    case "llama": return SpmTokenizer.fromGGUF(metadata, name);
    case "gpt2": return BpeTokenizer.fromGGUF(metadata, name);
    default:
      throw new ModelFormatError(name, "tokenizer.ggml.model", model, "unsupported tokenizer model (budgetkv reads \"llama\" and \"gpt2\")");
  }
}

// From a llama2.c tokenizer.bin; `vocabSize` (the checkpoint's) is checked when given.
export function tokenizerFromLlama2c(bytes: Uint8Array, name: string, vocabSize?: number): Tokenizer {
  return parseLlama2cTokenizer(bytes, name, vocabSize);
}

// From tokenizer.json (text or parsed) and optionally tokenizer_config.json (parsed).
export function tokenizerFromHF(tokenizerJson: string | object, tokenizerConfig?: object): Tokenizer {
  const json = typeof tokenizerJson === "string" ? parseJson(tokenizerJson, "tokenizer.json") : tokenizerJson;
  return new HFTokenizerAdapter(json as Record<string, unknown>, (tokenizerConfig ?? {}) as Record<string, unknown>);
}

// imported once (a dynamic import() per load cost a little of Node's module-loader state each time)
let nodeModules: Promise<[typeof import("node:fs/promises"), typeof import("node:path")]> | undefined;

// tokenizer.bin, then tok*.bin, in the model file's directory (paths only)
async function besideCandidates(src: ModelSource | undefined): Promise<string[]> {
  if (typeof src !== "string" || /^https?:\/\//i.test(src)) return [];
  const [{ readdir }, { dirname, join }] = await (nodeModules ??= Promise.all([import("node:fs/promises"), import("node:path")]));
  const dir = dirname(src);
  const names = await readdir(dir).catch(() => [] as string[]);
  const picks = [...(names.includes("tokenizer.bin") ? ["tokenizer.bin"] : []), ...names.filter((n) => /^tok.*\.bin$/.test(n)).sort()];
  return picks.map((n) => join(dir, n));
}
