// UTF-8 helpers shared by the tokenizers: byte <-> text conversion, code point iteration,
// and the byte-level detokenizer that both decode() and the streaming decoder are built on.
import type { StreamDecoder } from "./types.ts";

export const utf8Encoder = new TextEncoder();

export function utf8Bytes(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

// Lone surrogates cannot be UTF-8 encoded; like TextEncoder, replace them by U+FFFD so that
// every tokenizer sees the text the reference tools would see.
export function wellFormed(s: string): string {
  return /[\ud800-\udfff]/.test(s) ? s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd") : s;
}

// The text as an array of code point strings ("characters" in llama.cpp's sense).
export function codePoints(s: string): string[] {
  return Array.from(s);
}

const HEX = "0123456789ABCDEF";
export function byteTokenText(b: number): string {
  return `<0x${HEX[b >> 4]}${HEX[b & 15]}>`;
}

// Parses "<0xXX>" (exactly six characters, upper or lower case hex) to the byte, else -1.
export function parseByteToken(s: string): number {
  if (s.length !== 6 || !s.startsWith("<0x") || s[5] !== ">") return -1;
  const v = parseInt(s.slice(3, 5), 16);
  return /^[0-9A-Fa-f]{2}$/.test(s.slice(3, 5)) ? v : -1;
}

// Turns a stream of token pieces into text. `pieceBytes(id, index)` returns the bytes (or the
// text) of one token at position `index` of the decoded sequence (for leading-space rules);
// `post` is an optional streaming text cleanup (see bpe.ts).
export interface PieceSource {
  pieceBytes(id: number, index: number): Uint8Array | string;
}

export class ByteStreamDecoder implements StreamDecoder {
  private td = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  private index = 0;

  constructor(private readonly src: PieceSource, private readonly post?: TextPost) {}

  push(id: number): string {
    const p = this.src.pieceBytes(id, this.index++);
    const text = typeof p === "string" ? this.td.decode(utf8Bytes(p), { stream: true }) : this.td.decode(p, { stream: true });
    return this.post ? this.post.push(text) : text;
  }

  flush(): string {
    const text = this.td.decode();
    return this.post ? this.post.push(text) + this.post.flush() : text;
  }
}

// A streaming text post-processor: push() returns text that can no longer change.
export interface TextPost {
  push(text: string): string;
  flush(): string;
}

export function decodeAll(dec: StreamDecoder, ids: readonly number[]): string {
  let out = "";
  for (const id of ids) out += dec.push(id);
  return out + dec.flush();
}
