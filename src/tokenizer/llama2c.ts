// llama2.c's tokenizer.bin and its encode/decode (run.c, karpathy/llama2.c).
// File: int32 max_token_length, then per token float32 score, int32 length, bytes. The exporter
// writes U+2581 as a plain space and ids 1 and 2 as "\n<s>\n" and "\n</s>\n".
// encode: optional BOS (1), a " " token when the text is not empty, one token per UTF-8 code
// point (else its bytes as ids byte + 3), then merge the adjacent pair whose concatenation is the
// highest-scoring vocabulary entry (ties: leftmost), until none is left; the BOS takes part in
// the merging, as in run.c. decode: a piece right after BOS loses its leading space; "<0xXX>"
// pieces are raw bytes.
// Strings are kept as byte strings (one char per byte) so lookups are byte-exact, as in C.
// Deviations from run.c, where it has undefined behaviour: a code point with no token in a
// vocabulary without <0xXX> tokens at ids 3..258 becomes <unk> (run.c would emit ids past the
// vocabulary), and text without a " " token in the vocabulary is an error (run.c emits id -1).
// run.c's printer also drops single non-printable bytes; decode() keeps them and joins bytes
// into UTF-8 instead.
import { ModelFormatError } from "../format/errors.ts";
import { AdjacentPairs, mergeSymbols } from "./merge.ts";
import { checkId, type DecodeOptions, type EncodeOptions, type StreamDecoder, type Tokenizer, TokenizerError } from "./types.ts";
import { ByteStreamDecoder, byteTokenText, decodeAll, utf8Bytes, wellFormed } from "./utf8.ts";

const BOS = 1, EOS = 2, UNK = 0;
const MIN_SCORE = Math.fround(-1e10); // run.c's initial best_score: a merge must score above it

export class Llama2cTokenizer implements Tokenizer {
  readonly kind = "llama2c";
  readonly vocabSize: number;
  readonly bos = BOS;
  readonly eos: readonly number[] = [EOS];
  readonly addBos = true;     // run.c's generate() encodes prompts with BOS
  private readonly ids = new Map<string, number>();
  private readonly byteFallback: boolean;
  private readonly pairs: AdjacentPairs;
  private readonly cache = new Map<string, number[]>();

  constructor(readonly tokens: readonly string[], readonly scores: Float32Array, readonly maxTokenLength: number) {
    this.vocabSize = tokens.length;
    // run.c binary-searches a sorted copy; with duplicates it finds one of them: take the first
    tokens.forEach((t, i) => { if (!this.ids.has(t)) this.ids.set(t, i); });
    this.pairs = new AdjacentPairs(tokens);
    this.byteFallback = tokens.length >= 259 && tokens.slice(3, 259).every((t, b) => t === byteTokenText(b));
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const bytes = binaryString(utf8Bytes(wellFormed(text)));
    const syms: string[] = [];
    if (opts.addBos ?? this.addBos) syms.push(this.tokens[BOS]);
    if (bytes.length > 0) {
      if (!this.ids.has(" ")) throw new TokenizerError("llama2.c tokenizer: the vocabulary has no \" \" token for the dummy prefix");
      syms.push(" ");
    }
    // one symbol per code point; run.c groups a lead byte with its continuation bytes (at most 4)
    for (let i = 0; i < bytes.length;) {
      let j = i + 1;
      while (j < bytes.length && (bytes.charCodeAt(j) & 0xc0) === 0x80 && j - i < 4) j++;
      const cp = bytes.slice(i, j);
      if (this.ids.has(cp)) syms.push(cp);
      else for (let k = i; k < j; k++) syms.push(this.tokens[this.byteFallback ? bytes.charCodeAt(k) + 3 : UNK]);
      i = j;
    }
    const key = (l: string, r: string) => {
      const id = this.ids.get(l + r);
      return id !== undefined && this.scores[id] > MIN_SCORE ? -this.scores[id] : undefined;
    };
    const out: number[] = [];
    for (const run of this.pairs.runs(syms)) {
      // symbols are code points or whole vocabulary entries (no NUL inside, as in C strings),
      // so NUL-joined keys are unambiguous; runs holding a NUL are not cached
      const k = run.join("\u0000");
      let ids = this.cache.get(k);
      if (!ids) {
        ids = mergeSymbols(run, key).map((s) => this.ids.get(s)!);
        if (!run.some((s) => s.includes("\u0000"))) {
          if (this.cache.size >= 1 << 14) this.cache.clear();
          this.cache.set(k, ids);
        }
      }
      for (const id of ids) out.push(id);
    }
    return out;
  }

  private decodePiece(id: number, prev: number, skipSpecial: boolean): Uint8Array | string {
    checkId(id, this.vocabSize, this.kind);
    if (skipSpecial && (id === BOS || id === EOS || id === UNK)) return "";
    let piece = this.tokens[id];
    if (prev === BOS && piece[0] === " ") piece = piece.slice(1);
    const m = /^<0x([0-9A-Fa-f]{1,2})/.exec(piece); // sscanf(piece, "<0x%02hhX>", &byte)
    if (m) return Uint8Array.of(parseInt(m[1], 16));
    return latin1Bytes(piece);
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    return decodeAll(this.decoder(opts), ids);
  }

  decoder(opts: DecodeOptions = {}): StreamDecoder {
    const skip = opts.skipSpecial ?? true;
    let prev = opts.afterBos && this.bos !== undefined ? this.bos : -1;
    return new ByteStreamDecoder({
      pieceBytes: (id) => { const p = this.decodePiece(id, prev, skip); prev = id; return p; },
    });
  }

  piece(id: number): string {
    checkId(id, this.vocabSize, this.kind);
    return new TextDecoder().decode(latin1Bytes(this.tokens[id]));
  }
}

// one char per byte (not TextDecoder("latin1"), which is windows-1252)
function binaryString(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// Parses tokenizer.bin. The file does not store its token count: every record up to the end of
// the file is read, and `vocabSize`, when given (the model's), must match it.
export function parseLlama2cTokenizer(bytes: Uint8Array, file: string, vocabSize?: number): Llama2cTokenizer {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (field: string, value: unknown, detail: string) => new ModelFormatError(file, field, value, detail);
  if (bytes.length < 4) throw bad("max_token_length", undefined, `file is ${bytes.length} bytes, too short for a llama2.c tokenizer`);
  const maxLen = dv.getInt32(0, true);
  if (maxLen < 1 || maxLen > 1 << 16) throw bad("max_token_length", maxLen, "must be in 1..65536");
  const tokens: string[] = [], scores: number[] = [];
  let pos = 4;
  while (pos < bytes.length) {
    const i = tokens.length;
    if (pos + 8 > bytes.length) throw bad(`token ${i}`, undefined, `record header runs past the end of the ${bytes.length}-byte file (truncated?)`);
    const score = dv.getFloat32(pos, true), len = dv.getInt32(pos + 4, true);
    if (Number.isNaN(score)) throw bad(`token ${i} score`, score, "is NaN");
    if (len < 0 || len > maxLen) throw bad(`token ${i} length`, len, `must be in 0..max_token_length (${maxLen})`);
    if (pos + 8 + len > bytes.length) throw bad(`token ${i} length`, len, `runs past the end of the ${bytes.length}-byte file (truncated?)`);
    tokens.push(binaryString(bytes.subarray(pos + 8, pos + 8 + len)));
    scores.push(score);
    pos += 8 + len;
  }
  if (tokens.length < 3) throw bad("token count", tokens.length, "need at least <unk>, <s>, </s>");
  if (vocabSize !== undefined && vocabSize !== tokens.length) {
    throw bad("token count", tokens.length, `the model's vocab_size is ${vocabSize}`);
  }
  return new Llama2cTokenizer(tokens, Float32Array.from(scores), maxLen);
}
