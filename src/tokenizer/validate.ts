// tokenizer.json checked for every field budgetkv and @huggingface/tokenizers read, before the
// library sees it: the library trusts its input (a null merges list is a TypeError, an id of 1e9
// makes get_vocab loop to it, a null template loads and fails at the first encode), so each of
// these is one TokenizerError here naming the file, the field and the value.
// Bounds: ids lie in [0, number of entries + added tokens), so building the vocabulary is linear
// in the file's size; component types must be ones the library has; strings are bounded (a token
// or pattern to 4096 characters, a string a normalizer, pre-tokenizer or decoder inserts into
// the text to 256: a megabyte Prepend or Replace content made every encode take seconds, since it
// multiplies the text's length).
import { TokenizerError } from "./types.ts";

type Json = Record<string, unknown>;

const MODELS = ["BPE"]; // Llama-family tokenizer.json files are BPE (with or without byte fallback)
const NORMALIZERS = ["BertNormalizer", "Precompiled", "Sequence", "Replace", "NFC", "NFD", "NFKC", "NFKD", "Strip", "StripAccents", "Lowercase", "Prepend"];
const PRE_TOKENIZERS = ["BertPreTokenizer", "Sequence", "Whitespace", "WhitespaceSplit", "Metaspace", "ByteLevel", "Split", "Punctuation", "Digits", "Replace", "FixedLength"];
const POST_PROCESSORS = ["TemplateProcessing", "ByteLevel", "BertProcessing", "RobertaProcessing", "Sequence"];
const DECODERS = ["ByteLevel", "WordPiece", "Metaspace", "BPEDecoder", "CTC", "Sequence", "Replace", "Fuse", "Strip", "ByteFallback"];
const MAX_ID = 1 << 24;
const MAX_ADDED_TOKEN = 4096;
const MAX_TOKEN = 4096;      // a vocabulary entry, a merge's piece, a special token in a template
const MAX_PATTERN = 4096;    // a Split / Replace pattern ({Regex} or {String})
const MAX_INSERTED = 256;    // content / prepend / replacement: inserted each time it applies
const INSERTED = ["content", "prepend", "replacement"];

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 60) + "..." : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return "null";
  if (typeof v === "object") return "an object";
  return String(v);
}

export function tokenizerJsonError(file: string, field: string, v: unknown, why: string): TokenizerError {
  return new TokenizerError(`${file}: ${field} = ${show(v)}: ${why}`);
}

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

// Checks `json` (parsed tokenizer.json); returns the size of its id space (largest id + 1).
export function validateTokenizerJson(json: unknown, file = "tokenizer.json"): number {
  const bad = (field: string, v: unknown, why: string) => tokenizerJsonError(file, field, v, why);
  if (!isObj(json)) throw bad("(top level)", json, "expected an object");
  const model = json.model;
  if (!isObj(model)) throw bad("model", model, "expected an object {type, vocab, merges}");
  if (!MODELS.includes(model.type as string)) throw bad("model.type", model.type, `unsupported tokenizer model (budgetkv reads ${MODELS.join(", ")})`);
  const vocab = model.vocab;
  if (!isObj(vocab)) throw bad("model.vocab", vocab, "expected an object {token: id}");
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) throw bad("added_tokens", added, "expected an array of {id, content, special}");
  const entries = Object.keys(vocab).length;
  const idLimit = Math.min(MAX_ID, entries + added.length);
  const checkId = (field: string, id: unknown) => {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= idLimit) {
      throw bad(field, id, `expected a token id in [0, ${idLimit}) (the file has ${entries} vocabulary entries and ${added.length} added tokens)`);
    }
    return id;
  };
  let maxId = -1;
  for (const [t, id] of Object.entries(vocab)) {
    const field = `model.vocab[${JSON.stringify(t.slice(0, 40))}]`;
    if (t.length > MAX_TOKEN) throw bad(`${field} (the token)`, t, `longer than ${MAX_TOKEN} characters`);
    maxId = Math.max(maxId, checkId(field, id));
  }
  if (entries === 0) throw bad("model.vocab", vocab, "is empty");
  const merges = model.merges === undefined ? [] : model.merges;
  if (!Array.isArray(merges)) throw bad("model.merges", merges, "expected an array of \"a b\" strings or [a, b] pairs");
  const pairs = merges.length > 0 && Array.isArray(merges[0]);
  for (let i = 0; i < merges.length; i++) {
    const m = merges[i];
    const ok = pairs ? Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string" : typeof m === "string" && m.includes(" ");
    if (!ok) throw bad(`model.merges[${i}]`, m, pairs ? "expected a pair of strings, as the first merge is" : "expected a string \"a b\", as the first merge is");
    if ((pairs ? m[0].length + m[1].length + 1 : m.length) > 2 * MAX_TOKEN + 1) throw bad(`model.merges[${i}]`, pairs ? m[0] : m, `longer than two tokens of ${MAX_TOKEN} characters`);
  }
  for (const k of ["unk_token", "continuing_subword_prefix", "end_of_word_suffix"]) {
    const v = model[k];
    if (v !== undefined && v !== null && typeof v !== "string") throw bad(`model.${k}`, v, "expected a string or null");
  }
  if (typeof model.unk_token === "string" && !(model.unk_token in vocab) && !added.some((a: unknown) => isObj(a) && a.content === model.unk_token)) {
    throw bad("model.unk_token", model.unk_token, "is not in the vocabulary (unknown pieces would have no id)");
  }
  for (const k of ["byte_fallback", "fuse_unk", "ignore_merges"]) {
    const v = model[k];
    if (v !== undefined && v !== null && typeof v !== "boolean") throw bad(`model.${k}`, v, "expected true or false");
  }
  added.forEach((a: unknown, i: number) => {
    if (!isObj(a)) throw bad(`added_tokens[${i}]`, a, "expected {id, content, special}");
    maxId = Math.max(maxId, checkId(`added_tokens[${i}].id`, a.id));
    if (typeof a.content !== "string" || a.content === "") throw bad(`added_tokens[${i}].content`, a.content, "expected a non-empty string");
    // the library matches added tokens with one regex over all of them: a megabyte token makes
    // every encode take seconds, and no real token is longer than a few hundred characters
    if (a.content.length > MAX_ADDED_TOKEN) throw bad(`added_tokens[${i}].content`, a.content, `longer than ${MAX_ADDED_TOKEN} characters`);
    for (const k of ["special", "single_word", "lstrip", "rstrip", "normalized"]) {
      if (a[k] !== undefined && typeof a[k] !== "boolean") throw bad(`added_tokens[${i}].${k}`, a[k], "expected true or false");
    }
  });
  component(json.normalizer, "normalizer", NORMALIZERS, "normalizers", bad);
  component(json.pre_tokenizer, "pre_tokenizer", PRE_TOKENIZERS, "pretokenizers", bad);
  component(json.post_processor, "post_processor", POST_PROCESSORS, "processors", bad);
  component(json.decoder, "decoder", DECODERS, "decoders", bad);
  return maxId + 1;
}

type Bad = (field: string, v: unknown, why: string) => TokenizerError;

// A normalizer / pre-tokenizer / post-processor / decoder: null, or {type, ...} of a known type;
// Sequence holds a list of them under `list`; patterns must compile; templates must be lists.
function component(v: unknown, field: string, types: string[], list: string, bad: Bad, depth = 0): void {
  if (v === null || v === undefined) return;
  if (!isObj(v)) throw bad(field, v, "expected an object {type, ...} or null");
  if (!types.includes(v.type as string)) throw bad(`${field}.type`, v.type, `unknown type (the tokenizer library has ${types.join(", ")})`);
  if (v.type === "Sequence") {
    const items = v[list];
    if (!Array.isArray(items)) throw bad(`${field}.${list}`, items, "expected an array");
    if (depth > 4) throw bad(field, v, "Sequence nested more than 4 deep");
    items.forEach((x, i) => {
      if (!isObj(x)) throw bad(`${field}.${list}[${i}]`, x, "expected an object {type, ...}");
      component(x, `${field}.${list}[${i}]`, types, list, bad, depth + 1);
    });
  }
  if (v.pattern !== undefined) pattern(v.pattern, `${field}.pattern`, bad);
  for (const k of INSERTED) {
    if (v[k] !== undefined && typeof v[k] !== "string") throw bad(`${field}.${k}`, v[k], "expected a string");
  }
  strings(v, field, bad);
  if (v.type === "TemplateProcessing") {
    for (const k of ["single", "pair"]) {
      const items = v[k];
      if (items === undefined && k === "pair") continue;
      if (!Array.isArray(items)) throw bad(`${field}.${k}`, items, "expected an array of {SpecialToken} / {Sequence} items");
      items.forEach((it, i) => {
        const at = `${field}.${k}[${i}]`;
        if (!isObj(it)) throw bad(at, it, "expected {SpecialToken: {id, type_id}} or {Sequence: {id, type_id}}");
        if (isObj(it.SpecialToken)) {
          if (typeof it.SpecialToken.id !== "string") throw bad(`${at}.SpecialToken.id`, it.SpecialToken.id, "expected a token string");
        } else if (isObj(it.Sequence)) {
          if (it.Sequence.id !== "A" && it.Sequence.id !== "B") throw bad(`${at}.Sequence.id`, it.Sequence.id, "expected \"A\" or \"B\"");
        } else throw bad(at, it, "expected {SpecialToken: {id, type_id}} or {Sequence: {id, type_id}}");
      });
    }
    const st = v.special_tokens;
    if (st !== undefined && !isObj(st)) throw bad(`${field}.special_tokens`, st, "expected an object");
  }
}

// Every string in a component (not in its nested Sequence items, checked on their own), object
// keys included, within its bound: MAX_INSERTED for content / prepend / replacement, MAX_PATTERN
// for a pattern, MAX_TOKEN for the rest (special token names and ids, type names).
function strings(v: unknown, field: string, bad: Bad, key = "", depth = 0): void {
  if (typeof v === "string") {
    const max = INSERTED.includes(key) ? MAX_INSERTED : key === "Regex" || key === "String" ? MAX_PATTERN : MAX_TOKEN;
    if (v.length > max) throw bad(field, v, `longer than ${max} characters${max === MAX_INSERTED ? " (it is inserted into the text it works on, each time it applies)" : ""}`);
    return;
  }
  if (typeof v !== "object" || v === null || depth > 8) return; // no field the library reads lies deeper
  if (Array.isArray(v)) { v.forEach((x, i) => strings(x, `${field}[${i}]`, bad, key, depth + 1)); return; }
  for (const [k, x] of Object.entries(v)) {
    if (depth === 0 && Array.isArray(x) && (k === "normalizers" || k === "pretokenizers" || k === "processors" || k === "decoders")) continue;
    const at = `${field}.${k}`;
    if (k.length > MAX_TOKEN) throw bad(`${at.slice(0, 80)}... (the key)`, k, `longer than ${MAX_TOKEN} characters`);
    strings(x, at, bad, k, depth + 1);
  }
}

// {Regex: "..."} or {String: "..."}: the regex must compile as the library will compile it
// (with the "u" flag; it rewrites a few Oniguruma forms first, so a pattern that fails here but
// works there is rare; the library's own error is then caught when the tokenizer is built).
function pattern(p: unknown, field: string, bad: Bad): void {
  if (!isObj(p)) throw bad(field, p, "expected {Regex: string} or {String: string}");
  if (p.String !== undefined) {
    if (typeof p.String !== "string") throw bad(`${field}.String`, p.String, "expected a string");
    return;
  }
  if (typeof p.Regex !== "string") throw bad(`${field}.Regex`, p.Regex, "expected a string");
}
