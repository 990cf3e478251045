// Byte-level BPE of llama.cpp (tokenizer.ggml.model = "gpt2", llm_tokenizer_bpe): special tokens
// are split out, the text is pre-tokenized into words (pretokenize.ts, by tokenizer.ggml.pre),
// each word's UTF-8 bytes are mapped to GPT-2's byte characters, and adjacent symbols are merged
// by merge rank (tokenizer.ggml.merges, lowest first; ties: leftmost).
// Decoding maps the characters back to bytes, then applies llama.cpp's clean_spaces cleanup
// when the pre-tokenizer asks for it (CleanSpaces below).
// Own implementation rather than a tokenizer.json handed to @huggingface/tokenizers: the library
// also reproduces all 46 gpt-2 vectors, but it splits words with JavaScript's \s, which counts
// U+FEFF as whitespace and U+0085 not, the opposite of llama.cpp's White_Space table (131 of
// 5000 random strings drawn from an alphabet holding both differ; none without them), it
// always parses special tokens, and it has neither llama.cpp's pre-tokenizer table (e.g. the
// multi-regex "default") nor its clean_spaces detokenizer.
import type { GGUFValue } from "../format/gguf.ts";
import { ModelFormatError } from "../format/errors.ts";
import { A_BYTE, A_CONTROL, A_NORMAL, A_UNKNOWN, A_USER_DEFINED, type GGUFVocab, partitionSpecial, readGGUFVocab } from "./ggufvocab.ts";
import { mergeSymbols } from "./merge.ts";
import { type PreTokenizer, preTokenizerFor, splitWords } from "./pretokenize.ts";
import { checkId, type DecodeOptions, type EncodeOptions, type StreamDecoder, type Tokenizer } from "./types.ts";
import { BYTE_TO_CHAR, CHAR_TO_BYTE } from "./unicode.ts";
import { ByteStreamDecoder, codePoints, decodeAll, parseByteToken, type TextPost, utf8Bytes, utf8Encoder, wellFormed } from "./utf8.ts";

const CACHE_MAX = 1 << 14;

export class BpeTokenizer implements Tokenizer {
  readonly kind = "bpe";
  readonly vocabSize: number;
  readonly bos: number | undefined;
  readonly eos: readonly number[];
  readonly addBos: boolean;
  private cache = new Map<string, number[]>();

  constructor(readonly vocab: GGUFVocab, private readonly ranks: Map<string, number>, readonly pre: PreTokenizer) {
    this.vocabSize = vocab.tokens.length;
    this.bos = vocab.bos;
    this.eos = vocab.eog;
    this.addBos = vocab.addBos;
  }

  static fromGGUF(meta: Map<string, GGUFValue>, file: string): BpeTokenizer {
    const preName = meta.get("tokenizer.ggml.pre") ?? "";
    const pre = preTokenizerFor(typeof preName === "string" ? preName : "");
    const vocab = readGGUFVocab(meta, file, { bos: 11, eos: 11, unk: undefined, addBos: pre.addBos, addSpacePrefix: false });
    const merges = meta.get("tokenizer.ggml.merges");
    if (!Array.isArray(merges) || merges.some((m) => typeof m !== "string")) {
      throw new ModelFormatError(file, "tokenizer.ggml.merges", merges === undefined ? undefined : typeof merges, "a gpt2 tokenizer needs an array of merge strings");
    }
    // "a b": split at the first space after the first character; the first rank of a pair wins
    const ranks = new Map<string, number>();
    (merges as string[]).forEach((m, i) => {
      const sp = m.indexOf(" ", 1);
      const key = sp < 0 ? "\u0000" : pairKey(m.slice(0, sp), m.slice(sp + 1));
      if (!ranks.has(key)) ranks.set(key, i);
    });
    return new BpeTokenizer(vocab, ranks, pre);
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const v = this.vocab;
    const out: number[] = [];
    if ((opts.addBos ?? this.addBos) && v.bos !== undefined) out.push(v.bos);
    for (const f of partitionSpecial(v, wellFormed(text), opts.parseSpecial ?? false)) {
      if (typeof f === "number") out.push(f);
      else for (const w of splitWords(f, this.pre.regexes)) out.push(...this.encodeWord(byteEncode(w)));
    }
    if (v.addEos && opts.addBos !== false && v.eos !== undefined) out.push(v.eos);
    return out;
  }

  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const { ids } = this.vocab;
    const whole = ids.get(word);
    const pieces = this.pre.ignoreMerges && whole !== undefined ? [word] : mergeSymbols(codePoints(word), (l, r) => this.ranks.get(pairKey(l, r)));
    const out: number[] = [];
    for (const p of pieces) {
      const id = ids.get(p);
      if (id !== undefined) { out.push(id); continue; }
      // llama.cpp: each byte of the piece's UTF-8 as a one-character token, when there is one
      for (const b of utf8Encoder.encode(p)) {
        const bid = b < 0x80 ? ids.get(String.fromCharCode(b)) : undefined;
        if (bid !== undefined) out.push(bid);
      }
    }
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(word, out);
    return out;
  }

  // llama_vocab::impl::token_to_piece for BPE: normal tokens map GPT-2 characters back to bytes
  private decodePiece(id: number, skipSpecial: boolean): Uint8Array | string {
    checkId(id, this.vocabSize, this.kind);
    const attr = this.vocab.attrs[id], text = this.vocab.tokens[id];
    if (attr & (A_CONTROL | A_UNKNOWN)) return skipSpecial ? "" : text;
    if (attr & A_USER_DEFINED) return text;
    if (attr & A_NORMAL) return byteDecode(text);
    if (attr & A_BYTE) { const b = parseByteToken(text); return b >= 0 ? Uint8Array.of(b) : ""; }
    return "";
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    return decodeAll(this.decoder(opts), ids);
  }

  decoder(opts: DecodeOptions = {}): StreamDecoder {
    const skip = opts.skipSpecial ?? true;
    return new ByteStreamDecoder({ pieceBytes: (id) => this.decodePiece(id, skip) }, this.pre.cleanSpaces ? new CleanSpaces() : undefined);
  }

  piece(id: number): string {
    checkId(id, this.vocabSize, this.kind);
    return this.vocab.tokens[id];
  }
}

function pairKey(l: string, r: string): string {
  return l + "\u0000" + r;
}

function byteEncode(word: string): string {
  let s = "";
  for (const b of utf8Bytes(word)) s += BYTE_TO_CHAR[b];
  return s;
}

// llama_decode_text: a character outside the byte map is kept as an "[UNK_BYTE_0x..]" marker
function byteDecode(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b !== undefined) { out.push(b); continue; }
    const hex = Array.from(utf8Bytes(ch), (x) => x.toString(16).padStart(2, "0")).join("");
    out.push(...utf8Bytes(`[UNK_BYTE_0x${hex}${text}]`));
  }
  return Uint8Array.from(out);
}

// llama.cpp's clean_spaces passes over the detokenized text: drop the space before ? ! . , ;
// turn " ' " into "'"; drop the space before 's 'm 're 've. Every rule fires only right after a
// space and looks at most two characters ahead, so text can be cut where three non-spaces in a
// row end, and the two sides cleaned separately: that is what makes the cleanup streamable.
export function cleanSpaces(s: string): string {
  let t = Array.from(s);
  // pass 1: " ?", " !", " .", " ,"
  let out: string[] = t.slice(0, 1);
  for (let i = 1; i < t.length; i++) {
    const x = t[i];
    if (t[i - 1] === " " && (x === "?" || x === "!" || x === "." || x === ",")) out.pop();
    out.push(x);
  }
  // pass 2: a single apostrophe between spaces
  t = out;
  out = t.slice(0, 1);
  for (let i = 1; i < t.length; i++) {
    const x = t[i];
    if (x === "'" && i + 1 < t.length && t[i - 1] === " " && t[i + 1] === " ") {
      out.pop();
      t[++i] = "\u0000"; // the next space is dropped (and reads as a NUL from now on, as in llama.cpp)
    }
    out.push(x);
  }
  // pass 3: contractions " 's", " 'm", " 're", " 've"
  t = out;
  out = t.slice(0, 1);
  for (let i = 1; i < t.length; i++) {
    const x = t[i];
    if (t[i - 1] === " " && x === "'" && i + 1 < t.length) {
      const x1 = t[i + 1];
      if (x1 === "s" || x1 === "m") out.pop();
      else if (x1 !== "t" && x1 !== "d" && i + 2 < t.length) {
        const x2 = t[i + 2];
        if ((x1 === "r" && x2 === "e") || (x1 === "v" && x2 === "e")) out.pop();
      }
    }
    out.push(x);
  }
  return out.join("");
}

class CleanSpaces implements TextPost {
  private pending = "";

  push(text: string): string {
    this.pending += text;
    const p = this.pending;
    // the last cut point: just after three non-space characters in a row
    for (let end = p.length; end >= 3; end--) {
      if (p[end - 1] !== " " && p[end - 2] !== " " && p[end - 3] !== " ") {
        this.pending = p.slice(end);
        return cleanSpaces(p.slice(0, end));
      }
    }
    return "";
  }

  flush(): string {
    const p = this.pending;
    this.pending = "";
    return cleanSpaces(p);
  }
}
