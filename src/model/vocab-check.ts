// Load-time agreement between a model's embedding rows, its tokenizer and its special ids, so a
// mismatch is one error naming the files instead of a RangeError in embedRows or decode later.
//   tokenizer tokens <= model vocab_size (Hugging Face and GGUF models may pad the embedding;
//   llama2.c checkpoints and their tokenizer.bin must agree exactly); BOS and every EOS id are
//   tokenizer ids; a llama2.c vocabulary has the " " token its encoder starts every text with.
import type { ModelConfig } from "./config.ts";
import type { Tokenizer } from "../tokenizer/types.ts";
import { ModelFormatError } from "../format/errors.ts";

export function checkVocab(cfg: ModelConfig, tok: Tokenizer, file: string): void {
  const n = tok.vocabSize;
  if (n > cfg.vocabSize || (tok.kind === "llama2c" && n !== cfg.vocabSize)) {
    throw new ModelFormatError(file, "vocab_size", cfg.vocabSize, `the tokenizer has ${n} tokens but the model's embedding has ${cfg.vocabSize} rows${tok.kind === "llama2c" ? " (a llama2.c tokenizer must match exactly: is it the tokenizer this model was trained with?)" : ""}`);
  }
  if (n < 1) throw new ModelFormatError(file, "tokenizer", undefined, "the vocabulary is empty");
  const special = (what: string, id: number | undefined) => {
    if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < n)) throw new ModelFormatError(file, what, id, `not a token id of the ${n}-token vocabulary`);
  };
  special("bos token id", tok.bos);
  for (const e of tok.eos) special("eos token id", e);
  if (tok.kind === "llama2c" && !(tok as Tokenizer & { tokens: readonly string[] }).tokens.includes(" ")) {
    throw new ModelFormatError(file, "tokenizer", undefined, "the llama2.c vocabulary has no \" \" token, which its encoder puts before every text");
  }
}
