// Unicode code point classes as llama.cpp's pre-tokenizers see them (src/unicode.cpp there):
// letter \p{L}, number \p{N}, whitespace \p{White_Space}, and the categories used to "collapse"
// text for its generic regex path. The classes come from the JS engine's Unicode tables, which
// may be a Unicode version apart from llama.cpp's generated table for newly assigned code points.
// Also the GPT-2 byte <-> unicode character mapping of byte-level BPE.

export const F_NUMBER = 1, F_LETTER = 2, F_PUNCT = 4, F_MARK = 8, F_SYMBOL = 16, F_WHITESPACE = 32;
const COMPUTED = 128;

const reN = /\p{N}/u, reL = /\p{L}/u, reP = /\p{P}/u, reM = /\p{M}/u, reS = /\p{S}/u, reWS = /\p{White_Space}/u;

let table: Uint8Array | undefined; // lazily filled, one byte per code point

export function cptFlags(cp: number): number {
  table ??= new Uint8Array(0x110000);
  const f = table[cp];
  if (f & COMPUTED) return f & ~COMPUTED;
  const ch = String.fromCodePoint(cp);
  const v = (reN.test(ch) ? F_NUMBER : 0) | (reL.test(ch) ? F_LETTER : 0) | (reP.test(ch) ? F_PUNCT : 0) |
    (reM.test(ch) ? F_MARK : 0) | (reS.test(ch) ? F_SYMBOL : 0) | (reWS.test(ch) ? F_WHITESPACE : 0);
  table[cp] = v | COMPUTED;
  return v;
}

// GPT-2's reversible byte -> printable character map: printable Latin-1 bytes map to
// themselves, the other 68 bytes to U+0100.. in byte order.
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCodePoint(printable ? b : 256 + n++);
  }
  return out;
})();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));
