// The tokenizer API in one import: the tokenizers, the factories and loadTokenizer (load.ts,
// the one place that picks an implementation from what the model files say), chat templates.
export type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer } from "./types.ts";
export { TokenizerError } from "./types.ts";
export { applyChatTemplate, type ChatMessage, type ChatTemplateOptions } from "./chat.ts";
export { BpeTokenizer } from "./bpe.ts";
export { HFTokenizerAdapter } from "./hf.ts";
export { SpmTokenizer } from "./spm.ts";
export { Llama2cTokenizer } from "./llama2c.ts";
export { loadTokenizer, tokenizerFromGGUF, tokenizerFromHF, tokenizerFromLlama2c, type TokenizerSource } from "./load.ts";
