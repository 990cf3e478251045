// Tokenizer factories: pick the implementation from what the model files say.
import type { GGUFValue } from "../format/gguf.ts";
import { ModelFormatError } from "../format/errors.ts";
import { parseJson } from "../format/json.ts";
import { BpeTokenizer } from "./bpe.ts";
import { HFTokenizerAdapter } from "./hf.ts";
import { parseLlama2cTokenizer } from "./llama2c.ts";
import { SpmTokenizer } from "./spm.ts";
import type { Tokenizer } from "./types.ts";

export type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer } from "./types.ts";
export { TokenizerError } from "./types.ts";
export { applyChatTemplate, type ChatMessage, type ChatTemplateOptions } from "./chat.ts";
export { BpeTokenizer, HFTokenizerAdapter, SpmTokenizer };
export { Llama2cTokenizer } from "./llama2c.ts";

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
