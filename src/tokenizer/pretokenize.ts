// Pre-tokenizer of llama.cpp's byte-level BPE (unicode_regex_split in its src/unicode.cpp):
// a list of regexes is applied in turn, each splitting every chunk left by the previous one.
// The GPT-2 and Llama-3 regexes run as hand-written scanners (as llama.cpp does); any other
// regex runs on the "collapsed" text, where each non-ASCII code point is replaced by one
// stand-in character for its class, and \p{..} in the regex by that stand-in plus the ASCII
// members of the class. Both give the same splits as llama.cpp's, by construction.
import { cptFlags, F_LETTER, F_MARK, F_NUMBER, F_PUNCT, F_SYMBOL, F_WHITESPACE } from "./unicode.ts";
import { TokenizerError } from "./types.ts";

export const RE_GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
export const RE_LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const RE_QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export interface PreTokenizer {
  regexes: string[];
  cleanSpaces: boolean;   // llama.cpp's clean_spaces (detokenizer cleanup)
  ignoreMerges: boolean;  // a whole word that is a token is taken as is
  addBos: boolean;        // default of tokenizer.ggml.add_bos_token
}

const GPT2: PreTokenizer = { regexes: [RE_GPT2], cleanSpaces: true, ignoreMerges: false, addBos: false };
const LLAMA3: PreTokenizer = { regexes: [RE_LLAMA3], cleanSpaces: true, ignoreMerges: true, addBos: true };

// tokenizer.ggml.pre names, grouped as in llama.cpp's llama_vocab::impl::load.
const PRE_TOKENIZERS: Record<string, PreTokenizer> = {
  "default": { regexes: ["[\\p{P}\\$\\+<=>\\^~\\|]+", RE_GPT2, "\\p{N}+", "[0-9][0-9][0-9]"], cleanSpaces: true, ignoreMerges: false, addBos: false },
  "gpt-2": GPT2, "phi-2": GPT2, "mpt": GPT2, "olmo": GPT2, "jais": GPT2, "exaone4": GPT2,
  "llama3": LLAMA3, "llama-v3": LLAMA3, "llama-bpe": LLAMA3, "falcon3": LLAMA3, "pixtral": LLAMA3,
  "dbrx": { ...LLAMA3, ignoreMerges: false, addBos: false },
  "smaug-bpe": { ...LLAMA3, ignoreMerges: false, addBos: false },
  "qwen2": { regexes: [RE_QWEN2], cleanSpaces: false, ignoreMerges: false, addBos: false },
  "deepseek-r1-qwen": { regexes: [RE_QWEN2], cleanSpaces: false, ignoreMerges: false, addBos: false },
  "megrez": { regexes: [RE_QWEN2], cleanSpaces: true, ignoreMerges: false, addBos: false },
  "stablelm2": { regexes: [RE_QWEN2], cleanSpaces: true, ignoreMerges: false, addBos: false },
  "smollm": { regexes: ["\\p{N}", RE_GPT2], cleanSpaces: false, ignoreMerges: false, addBos: false },
  "starcoder": { regexes: ["\\p{N}", RE_GPT2], cleanSpaces: true, ignoreMerges: false, addBos: false },
  "refact": { regexes: ["\\p{N}", RE_GPT2], cleanSpaces: true, ignoreMerges: false, addBos: false },
  "command-r": { regexes: ["\\p{N}", RE_GPT2], cleanSpaces: false, ignoreMerges: false, addBos: false },
  "falcon": { regexes: ["[\\p{P}\\$\\+<=>\\^~\\|`]+", RE_GPT2, "[0-9][0-9][0-9]"], cleanSpaces: true, ignoreMerges: false, addBos: false },
};

export function preTokenizerFor(name: string): PreTokenizer {
  const p = PRE_TOKENIZERS[name === "" ? "default" : name];
  if (!p) {
    throw new TokenizerError(`unsupported BPE pre-tokenizer "${name}" (tokenizer.ggml.pre); supported: ${Object.keys(PRE_TOKENIZERS).join(", ")}`);
  }
  return p;
}

// Splits `text` into words (strings of whole code points) with the regexes in turn.
export function splitWords(text: string, regexes: readonly string[]): string[] {
  const cps = Array.from(text, (c) => c.codePointAt(0)!);
  let lens = [cps.length];
  for (const re of regexes) {
    if (re === RE_GPT2) lens = scan(cps, lens, scanGpt2);
    else if (re === RE_LLAMA3) lens = scan(cps, lens, scanLlama3);
    else lens = splitCollapsed(cps, lens, re);
  }
  const words: string[] = [];
  let pos = 0;
  for (const n of lens) {
    words.push(String.fromCodePoint(...cps.slice(pos, pos + n)));
    pos += n;
  }
  return words;
}

// One chunk [ini, end) of code points; `emit(end)` closes the current word at `end`.
type Scanner = (c: Chunk) => void;

class Chunk {
  prevEnd: number;
  constructor(readonly cps: number[], readonly ini: number, readonly end: number, readonly out: number[]) {
    this.prevEnd = ini;
  }
  cpt(p: number): number { return p >= this.ini && p < this.end ? this.cps[p] : -1; }
  flags(p: number): number { return p >= this.ini && p < this.end ? cptFlags(this.cps[p]) : 0; }
  inRange(p: number): boolean { return p >= this.ini && p < this.end; }
  emit(end: number): number {
    const n = end - this.prevEnd;
    if (n > 0) this.out.push(n);
    this.prevEnd = end;
    return n;
  }
}

function scan(cps: number[], lens: number[], scanner: Scanner): number[] {
  const out: number[] = [];
  let start = 0;
  for (const n of lens) {
    scanner(new Chunk(cps, start, start + n, out));
    start += n;
  }
  return out;
}

const SQ = 0x27, LF = 0x0a, CR = 0x0d, SP = 0x20;
const isNonWord = (f: number, inRange: boolean) => inRange && !(f & (F_WHITESPACE | F_LETTER | F_NUMBER));
const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 32 : c);

// 's|'t|'re|'ve|'m|'ll|'d (case-insensitive for llama3): the length of the match at p, or 0
function contraction(c: Chunk, p: number, fold: boolean): number {
  if (c.cpt(p) !== SQ || p + 1 >= c.end) return 0;
  const f = (x: number) => (fold ? lower(x) : x);
  const a = f(c.cpt(p + 1));
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return 2; // s t m d
  if (p + 2 < c.end) {
    const b = f(c.cpt(p + 2));
    if ((a === 0x72 && b === 0x65) || (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c)) return 3; // re ve ll
  }
  return 0;
}

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
function scanGpt2(c: Chunk): void {
  for (let pos = c.ini; pos < c.end;) {
    const cpt = c.cpt(pos);
    const k = contraction(c, pos, false);
    if (k) { pos += c.emit(pos + k); continue; }
    const q = cpt === SP ? pos + 1 : pos; // where the optional leading space ends
    const f2 = c.flags(q);
    if (f2 & F_LETTER) {
      pos = q;
      while (c.flags(pos) & F_LETTER) pos++;
      c.emit(pos);
      continue;
    }
    if (f2 & F_NUMBER) {
      pos = q;
      while (c.flags(pos) & F_NUMBER) pos++;
      c.emit(pos);
      continue;
    }
    if (isNonWord(f2, c.inRange(q))) {
      pos = q;
      while (isNonWord(c.flags(pos), c.inRange(pos))) pos++;
      c.emit(pos);
      continue;
    }
    pos = whitespace(c, pos, false);
  }
}

// Llama-3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
function scanLlama3(c: Chunk): void {
  for (let pos = c.ini; pos < c.end;) {
    const cpt = c.cpt(pos);
    const flags = c.flags(pos);
    const k = contraction(c, pos, true);
    if (k) { pos += c.emit(pos + k); continue; }
    if (!(cpt === CR || cpt === LF || flags & F_NUMBER) && (flags & F_LETTER || c.flags(pos + 1) & F_LETTER)) {
      pos++;
      while (c.flags(pos) & F_LETTER) pos++;
      c.emit(pos);
      continue;
    }
    if (flags & F_NUMBER) {
      let ini = pos;
      while (c.flags(pos) & F_NUMBER) {
        if (++pos - ini >= 3) { c.emit(pos); ini = pos; }
      }
      c.emit(pos);
      continue;
    }
    const q = cpt === SP ? pos + 1 : pos;
    if (isNonWord(c.flags(q), c.inRange(q)) || (cpt === SP && !c.inRange(q))) {
      pos = q;
      while (isNonWord(c.flags(pos), c.inRange(pos))) pos++;
      while (c.cpt(pos) === CR || c.cpt(pos) === LF) pos++;
      c.emit(pos);
      continue;
    }
    pos = whitespace(c, pos, true);
  }
}

// \s*[\r\n]+ (llama3 only) | \s+(?!\S) | \s+ | a single unmatched code point
function whitespace(c: Chunk, pos: number, newlines: boolean): number {
  let n = 0, lastNl = 0;
  while (c.flags(pos + n) & F_WHITESPACE) {
    const x = c.cpt(pos + n);
    if (x === CR || x === LF) lastNl = pos + n + 1;
    n++;
  }
  if (newlines && lastNl > 0) { c.emit(lastNl); return lastNl; }
  if (n > 1 && c.inRange(pos + n)) { c.emit(pos + n - 1); return pos + n - 1; }
  if (n > 0) { c.emit(pos + n); return pos + n; }
  c.emit(pos + 1);
  return pos + 1;
}

// ---- generic regexes on collapsed text ----

// stand-in character and ASCII members of each class (llama.cpp's k_ucat_cpt / k_ucat_map)
const UCAT: Record<string, [number, string]> = {
  N: [F_NUMBER, "\\xD10-9"],
  L: [F_LETTER, "\\xD2A-Za-z"],
  P: [F_PUNCT, "\\xD3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}"],
  M: [F_MARK, "\\xD4"],
  S: [F_SYMBOL, "\\xD5\\$\\+<->\\^`\\|"],
};
const UCAT_ALIAS: Record<string, string> = { N: "N", L: "L", P: "P", M: "M", S: "S", Lu: "L", Ll: "L", Lt: "L", Lm: "L", Lo: "L" };

function collapseChar(cp: number): string {
  if (cp < 128) return String.fromCharCode(cp);
  const f = cptFlags(cp);
  if (f & F_WHITESPACE) return "\x0b";
  if (f & F_NUMBER) return "\xd1";
  if (f & F_LETTER) return "\xd2";
  if (f & F_PUNCT) return "\xd3";
  if (f & F_MARK) return "\xd4";
  if (f & F_SYMBOL) return "\xd5";
  return "\xd0";
}

const compiled = new Map<string, RegExp>();

function collapsedRegex(re: string): RegExp {
  let r = compiled.get(re);
  if (r) return r;
  let out = "", inside = false;
  for (let i = 0; i < re.length; i++) {
    const ch = re[i];
    if (ch === "[" && (i === 0 || re[i - 1] !== "\\")) { out += ch; inside = true; continue; }
    if (inside && ch === "]" && re[i - 1] !== "\\") { out += ch; inside = false; continue; }
    if (ch === "\\" && re[i + 1] === "p" && re[i + 2] === "{") {
      const close = re.indexOf("}", i + 3);
      const cat = UCAT_ALIAS[re.slice(i + 3, close)];
      if (close < 0 || !cat) throw new TokenizerError(`pre-tokenizer regex: unsupported class ${re.slice(i, close + 1)} in ${re}`);
      out += inside ? UCAT[cat][1] : `[${UCAT[cat][1]}]`;
      i = close;
      continue;
    }
    out += ch;
  }
  r = new RegExp(out, "g");
  compiled.set(re, r);
  return r;
}

function splitCollapsed(cps: number[], lens: number[], re: string): number[] {
  const rx = collapsedRegex(re);
  const out: number[] = [];
  let start = 0;
  for (const n of lens) {
    let s = "";
    for (let i = start; i < start + n; i++) s += collapseChar(cps[i]);
    let last = 0;
    rx.lastIndex = 0;
    for (let m = rx.exec(s); m; m = rx.exec(s)) {
      if (m[0].length === 0) { rx.lastIndex++; continue; }
      if (m.index > last) out.push(m.index - last);
      out.push(m[0].length);
      last = m.index + m[0].length;
    }
    if (last < n) out.push(n - last);
    start += n;
  }
  return out;
}
