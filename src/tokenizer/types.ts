// The one interface every tokenizer implements. Each implementation reproduces a reference tool
// exactly (llama.cpp for GGUF vocabularies, llama2.c's run.c for tokenizer.bin, Hugging Face
// tokenizers for tokenizer.json); where the tools disagree, each follows its own.

export interface EncodeOptions {
  addBos?: boolean;        // default: the tokenizer's addBos
  parseSpecial?: boolean;  // default false: control tokens written in the text stay plain text
}

export interface DecodeOptions {
  skipSpecial?: boolean;   // default true: BOS/EOS/control tokens render as nothing
  // The ids continue an earlier sequence (e.g. generated after a prompt): never strip the
  // leading space that the reference detokenizer strips from the first piece. Default false.
  continuation?: boolean;
  // The first id directly follows a BOS that is not among the ids (a generation from BOS):
  // llama2.c strips the leading space of a piece after BOS. Default false.
  afterBos?: boolean;
}

// Streaming detokenizer. Concatenating every push() and the final flush() gives exactly
// decode(allIds, sameOptions). A UTF-8 sequence split across byte tokens is held back until
// it is complete (flush() emits an unfinished tail as U+FFFD).
export interface StreamDecoder {
  push(id: number): string;
  flush(): string;
}

export interface Tokenizer {
  readonly kind: "spm" | "bpe" | "llama2c" | "hf";
  readonly vocabSize: number;
  readonly bos: number | undefined;
  readonly eos: readonly number[];   // every end-of-generation id (eos, eot, im_end, ... when known)
  readonly addBos: boolean;          // whether encode() adds BOS by default
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  decoder(opts?: DecodeOptions): StreamDecoder;
  piece(id: number): string;         // the raw vocabulary entry, for inspection
}

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenizerError";
  }
}

export function checkId(id: number, vocabSize: number, kind: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new RangeError(`${kind} tokenizer: token id ${id} is outside the vocabulary [0, ${vocabSize})`);
  }
}
