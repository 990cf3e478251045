// The vocabulary part of a GGUF file (tokenizer.ggml.* keys) as llama.cpp reads it
// (llama_vocab::impl::load): tokens, scores, token types, special ids, end-of-generation ids,
// and the splitting of special tokens out of the text (tokenizer_st_partition).
import type { GGUFValue } from "../format/gguf.ts";
import { ModelFormatError } from "../format/errors.ts";

// token attributes (llama.cpp LLAMA_TOKEN_ATTR_*), from tokenizer.ggml.token_type
export const A_UNKNOWN = 1, A_UNUSED = 2, A_NORMAL = 4, A_CONTROL = 8, A_USER_DEFINED = 16, A_BYTE = 32;
const TYPE_TO_ATTR: Record<number, number> = { 1: A_NORMAL, 2: A_UNKNOWN, 3: A_CONTROL, 4: A_USER_DEFINED, 5: A_UNUSED, 6: A_BYTE };

// Texts that llama.cpp treats as end of generation wherever they appear in a vocabulary.
const EOG_TEXTS = new Set([
  "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>",
  "<|end_of_text|>", "<end_of_utterance>",
]);

export interface GGUFVocab {
  file: string;
  model: string;              // tokenizer.ggml.model
  pre: string;                // tokenizer.ggml.pre ("" when absent)
  tokens: string[];
  scores: Float32Array;       // 0 when absent
  attrs: Uint8Array;
  ids: Map<string, number>;
  bos: number | undefined;
  eos: number | undefined;
  unk: number | undefined;
  eog: number[];              // eos first, then the others ascending
  addBos: boolean;
  addEos: boolean;
  addSpacePrefix: boolean;
  specials: number[];         // control / user-defined / unknown ids, longest text first
}

export interface VocabDefaults {
  bos: number | undefined;
  eos: number | undefined;
  unk: number | undefined;
  addBos: boolean;
  addSpacePrefix: boolean;
}

export function readGGUFVocab(meta: Map<string, GGUFValue>, file: string, defaults: VocabDefaults): GGUFVocab {
  const bad = (key: string, value: unknown, detail: string) => new ModelFormatError(file, key, value, detail);
  const model = meta.get("tokenizer.ggml.model");
  const pre = meta.get("tokenizer.ggml.pre") ?? "";
  if (typeof pre !== "string") throw bad("tokenizer.ggml.pre", pre, "expected a string");

  const list = meta.get("tokenizer.ggml.tokens");
  if (!Array.isArray(list) || list.some((t) => typeof t !== "string")) {
    throw bad("tokenizer.ggml.tokens", list === undefined ? undefined : typeof list, "expected an array of strings");
  }
  const n = list.length;
  if (n === 0) throw bad("tokenizer.ggml.tokens", 0, "the vocabulary is empty");

  const scoresV = meta.get("tokenizer.ggml.scores");
  const scores = new Float32Array(n);
  if (scoresV !== undefined) {
    if (!(scoresV instanceof Float32Array || scoresV instanceof Int32Array)) throw bad("tokenizer.ggml.scores", typeof scoresV, "expected an f32 or i32 array");
    if (scoresV.length < n) throw bad("tokenizer.ggml.scores", scoresV.length, `fewer scores than the ${n} tokens`);
    scores.set(scoresV.subarray(0, n));
  }

  const typesV = meta.get("tokenizer.ggml.token_type");
  const attrs = new Uint8Array(n).fill(A_NORMAL);
  if (typesV !== undefined) {
    if (!(typesV instanceof Int32Array)) throw bad("tokenizer.ggml.token_type", typeof typesV, "expected an i32 array");
    if (typesV.length < n) throw bad("tokenizer.ggml.token_type", typesV.length, `fewer token types than the ${n} tokens`);
    for (let i = 0; i < n; i++) attrs[i] = TYPE_TO_ATTR[typesV[i]] ?? 0;
  }

  const tokens = (list as string[]).map((t, i) => (t === "" ? `[EMPTY_${i}]` : t));
  const ids = new Map<string, number>();
  tokens.forEach((t, i) => {
    const j = ids.get(t);
    if (j !== undefined) throw bad("tokenizer.ggml.tokens", t, `duplicate token: ids ${j} and ${i}`);
    ids.set(t, i);
  });

  // special ids: a value outside the vocabulary keeps the default (llama.cpp warns the same way)
  const special = (key: string, dflt: number | undefined): number | undefined => {
    const v = meta.get(`tokenizer.ggml.${key}`);
    let id = dflt !== undefined && dflt < n ? dflt : undefined;
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < n) id = v;
    return id;
  };
  const flag = (key: string, dflt: boolean): boolean => {
    const v = meta.get(`tokenizer.ggml.${key}`);
    if (v === undefined) return dflt;
    if (typeof v !== "boolean") throw bad(`tokenizer.ggml.${key}`, v, "expected a bool");
    return v;
  };
  const bos = special("bos_token_id", defaults.bos);
  const eos = special("eos_token_id", defaults.eos);
  const unk = special("unknown_token_id", defaults.unk);
  const eot = special("eot_token_id", undefined);
  const eom = special("eom_token_id", undefined);
  const addBos = flag("add_bos_token", defaults.addBos);
  const addEos = flag("add_eos_token", false);
  const addSpacePrefix = flag("add_space_prefix", defaults.addSpacePrefix);
  if (addBos && bos === undefined) throw bad("tokenizer.ggml.add_bos_token", true, "is true, but tokenizer.ggml.bos_token_id is not set");
  if (addEos && eos === undefined) throw bad("tokenizer.ggml.add_eos_token", true, "is true, but tokenizer.ggml.eos_token_id is not set");

  // end-of-generation: eos, eot, eom and the tokens llama.cpp recognizes by their text,
  // which it also marks as control tokens
  const eogSet = new Set<number>();
  tokens.forEach((t, i) => {
    if (EOG_TEXTS.has(t)) { eogSet.add(i); attrs[i] |= A_CONTROL; }
  });
  for (const id of [eos, eot, eom]) if (id !== undefined) eogSet.add(id);
  const eog = [...eogSet].sort((a, b) => (a === eos ? -1 : b === eos ? 1 : a - b));

  const specials: number[] = [];
  for (let i = 0; i < n; i++) if (attrs[i] & (A_CONTROL | A_USER_DEFINED | A_UNKNOWN)) specials.push(i);
  specials.sort((a, b) => tokens[b].length - tokens[a].length || a - b);

  return {
    file, model: String(model), pre, tokens, scores, attrs, ids, bos, eos, unk, eog, addBos, addEos, addSpacePrefix, specials,
  };
}

// A piece of the input: raw text, or a special token found in it.
export type Fragment = string | number;

// llama.cpp's tokenizer_st_partition: for each special token, longest first, split every text
// fragment at its occurrences. Without parseSpecial only user-defined tokens are split out.
export function partitionSpecial(v: GGUFVocab, text: string, parseSpecial: boolean): Fragment[] {
  let frags: Fragment[] = text === "" ? [] : [text];
  for (const id of v.specials) {
    if (!parseSpecial && v.attrs[id] & (A_CONTROL | A_UNKNOWN)) continue;
    const tok = v.tokens[id];
    if (!frags.some((f) => typeof f === "string" && f.includes(tok))) continue;
    const out: Fragment[] = [];
    for (const f of frags) {
      if (typeof f !== "string") { out.push(f); continue; }
      let pos = 0;
      for (let m = f.indexOf(tok); m >= 0; m = f.indexOf(tok, pos)) {
        if (m > pos) out.push(f.slice(pos, m));
        out.push(id);
        pos = m + tok.length;
      }
      if (pos < f.length) out.push(f.slice(pos));
    }
    frags = out;
  }
  return frags;
}
