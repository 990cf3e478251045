// SentencePiece-style tokenizer of llama.cpp (tokenizer.ggml.model = "llama", llm_tokenizer_spm):
// spaces become U+2581, a space is prefixed to text that starts the input or follows a special
// token, then the text is split into code points and the adjacent pair whose concatenation is
// the highest-scoring vocabulary entry is merged until none is left (ties: leftmost). A piece
// that is not in the vocabulary falls back to its UTF-8 bytes as <0xXX> tokens.
// Decoding follows llama_vocab::impl::detokenize (see decodePiece).
import type { GGUFValue } from "../format/gguf.ts";
import { A_BYTE, A_CONTROL, A_NORMAL, A_UNKNOWN, A_USER_DEFINED, type GGUFVocab, partitionSpecial, readGGUFVocab } from "./ggufvocab.ts";
import { AdjacentPairs, mergeSymbols } from "./merge.ts";
import { checkId, type DecodeOptions, type EncodeOptions, type StreamDecoder, type Tokenizer } from "./types.ts";
import { ByteStreamDecoder, byteTokenText, codePoints, decodeAll, parseByteToken, utf8Bytes, wellFormed } from "./utf8.ts";

const SPACE = "\u2581";

export class SpmTokenizer implements Tokenizer {
  readonly kind = "spm";
  readonly vocabSize: number;
  readonly bos: number | undefined;
  readonly eos: readonly number[];
  readonly addBos: boolean;
  private byteIds = new Int32Array(256).fill(-1);
  private readonly pairs: AdjacentPairs;
  private readonly cache = new Map<string, number[]>();

  constructor(readonly vocab: GGUFVocab) {
    this.vocabSize = vocab.tokens.length;
    this.bos = vocab.bos;
    this.eos = vocab.eog;
    this.addBos = vocab.addBos;
    this.pairs = new AdjacentPairs(vocab.tokens);
    // llama_vocab::byte_to_token: "<0xXX>", else the byte itself as a one-character token
    for (let b = 0; b < 256; b++) {
      const id = vocab.ids.get(byteTokenText(b)) ?? (b < 0x80 ? vocab.ids.get(String.fromCharCode(b)) : undefined);
      if (id !== undefined) this.byteIds[b] = id;
    }
  }

  static fromGGUF(meta: Map<string, GGUFValue>, file: string): SpmTokenizer {
    return new SpmTokenizer(readGGUFVocab(meta, file, { bos: 1, eos: 2, unk: 0, addBos: true, addSpacePrefix: true }));
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const v = this.vocab;
    const addBos = opts.addBos ?? this.addBos;
    const out: number[] = [];
    if (addBos && v.bos !== undefined) out.push(v.bos);
    let prevSpecial = true;
    for (const f of partitionSpecial(v, wellFormed(text), opts.parseSpecial ?? false)) {
      if (typeof f === "number") { out.push(f); prevSpecial = true; continue; }
      const t = (v.addSpacePrefix && prevSpecial ? " " : "") + f;
      this.encodeText(t.replaceAll(" ", SPACE), out);
      prevSpecial = false;
    }
    if (v.addEos && opts.addBos !== false && v.eos !== undefined) out.push(v.eos);
    return out;
  }

  private encodeText(text: string, out: number[]): void {
    for (const run of this.pairs.splitText(text)) {
      let ids = this.cache.get(run);
      if (!ids) {
        ids = this.mergeRun(codePoints(run));
        if (this.cache.size >= 1 << 14) this.cache.clear();
        this.cache.set(run, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  private mergeRun(run: string[]): number[] {
    const { ids, scores } = this.vocab;
    const out: number[] = [];
    const pieces = mergeSymbols(run, (l, r) => {
      const id = ids.get(l + r);
      return id === undefined ? undefined : -scores[id];
    });
    for (const p of pieces) {
      const id = ids.get(p);
      if (id !== undefined) { out.push(id); continue; }
      for (const b of utf8Bytes(p)) {
        const bid = this.byteIds[b];
        // llama.cpp aborts when a vocabulary has no token for a byte; SentencePiece gives <unk>
        if (bid >= 0) out.push(bid);
        else if (this.vocab.unk !== undefined) out.push(this.vocab.unk);
      }
    }
    return out;
  }

  // llama_vocab::impl::token_to_piece: control/unknown tokens render only when not skipped;
  // the first piece loses one leading space when the vocabulary adds a space prefix. (When the
  // sequence starts with BOS the strip applies to BOS itself, so the text after it keeps its space.)
  private decodePiece(id: number, index: number, skipSpecial: boolean, continuation: boolean): Uint8Array | string {
    checkId(id, this.vocabSize, this.kind);
    const v = this.vocab, attr = v.attrs[id], text = v.tokens[id];
    let piece: Uint8Array | string = "";
    if (attr & (A_CONTROL | A_UNKNOWN)) piece = skipSpecial ? "" : text;
    else if (attr & A_USER_DEFINED) piece = text;
    else if (attr & A_NORMAL) piece = text.replaceAll(SPACE, " ");
    else if (attr & A_BYTE) { const b = parseByteToken(text); piece = b >= 0 ? Uint8Array.of(b) : ""; }
    if (index === 0 && !continuation && v.addSpacePrefix) {
      if (typeof piece === "string" && piece.startsWith(" ")) piece = piece.slice(1);
      else if (typeof piece !== "string" && piece[0] === 0x20) piece = piece.subarray(1);
    }
    return piece;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    return decodeAll(this.decoder(opts), ids);
  }

  decoder(opts: DecodeOptions = {}): StreamDecoder {
    const skip = opts.skipSpecial ?? true, cont = opts.continuation ?? false;
    return new ByteStreamDecoder({ pieceBytes: (id, index) => this.decodePiece(id, index, skip, cont) });
  }

  piece(id: number): string {
    checkId(id, this.vocabSize, this.kind);
    return this.vocab.tokens[id];
  }
}
