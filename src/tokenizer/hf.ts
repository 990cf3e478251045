// tokenizer.json (+ tokenizer_config.json) through @huggingface/tokenizers, the maintained pure-JS
// port of Hugging Face tokenizers. BOS/EOS come from tokenizer_config.json (bos_token,
// add_bos_token, ...) or, failing that, from the post-processor's template for one sequence.
// The library always splits added tokens out of the text; for parseSpecial = false a second
// instance is built whose special added tokens are plain vocabulary entries.
// DecodeOptions.continuation is not supported here: the library's decoders (Strip, Metaspace)
// act on the whole decoded string.
import { Model, Tokenizer as HFTokenizer } from "@huggingface/tokenizers";
import { AdjacentPairs, mergeSymbols } from "./merge.ts";
import { checkId, type DecodeOptions, type EncodeOptions, type StreamDecoder, type Tokenizer, TokenizerError } from "./types.ts";

type Json = Record<string, any>;

// Text of a token given as a string or as {content: string} in tokenizer_config.json
function tokenText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as Json).content === "string") return (v as Json).content;
  return undefined;
}

export class HFTokenizerAdapter implements Tokenizer {
  readonly kind = "hf";
  readonly vocabSize: number;
  readonly bos: number | undefined;
  readonly eos: readonly number[];
  readonly addBos: boolean;
  private readonly addEos: boolean;
  private readonly tok: HFTokenizer;
  private plain: HFTokenizer | undefined; // without special added tokens, for parseSpecial = false
  private readonly pieces: string[] = [];
  private readonly special = new Set<number>();

  constructor(private readonly json: Json, private readonly config: Json = {}) {
    if (!json || typeof json !== "object" || !json.model) throw new TokenizerError("tokenizer.json: no \"model\" section");
    this.tok = build(json, config);
    for (const [t, id] of this.tok.get_vocab(true)) this.pieces[id] = t;
    this.vocabSize = this.pieces.length;
    for (const a of json.added_tokens ?? []) if (a.special) this.special.add(a.id);

    const idOf = (t: string | undefined) => (t === undefined ? undefined : this.tok.token_to_id(t));
    // the post-processor's template for a single sequence: special tokens before and after "A"
    const single: Json[] = json.post_processor?.type === "TemplateProcessing" ? json.post_processor.single ?? [] : [];
    const seqAt = single.findIndex((p) => p.Sequence);
    const tmplIds = (items: Json[]) => items.filter((p) => p.SpecialToken).map((p) => idOf(p.SpecialToken.id));
    const before = seqAt >= 0 ? tmplIds(single.slice(0, seqAt)) : [];
    const after = seqAt >= 0 ? tmplIds(single.slice(seqAt + 1)) : [];

    this.bos = idOf(tokenText(config.bos_token)) ?? before[0];
    const eos = idOf(tokenText(config.eos_token)) ?? after[0];
    this.addBos = this.bos !== undefined && (typeof config.add_bos_token === "boolean" ? config.add_bos_token : before.includes(this.bos));
    this.addEos = eos !== undefined && (typeof config.add_eos_token === "boolean" ? config.add_eos_token : after.includes(eos));
    const eog = new Set<number>(eos === undefined ? [] : [eos]);
    for (const t of ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>"]) {
      const id = idOf(t);
      if (id !== undefined && this.special.has(id)) eog.add(id);
    }
    this.eos = [...eog];
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const lib = opts.parseSpecial ?? false ? this.tok : this.plainTokenizer();
    const ids = lib.encode(text, { add_special_tokens: false }).ids;
    const addBos = opts.addBos ?? this.addBos;
    if (addBos && this.bos !== undefined) ids.unshift(this.bos);
    if (this.addEos && opts.addBos !== false) ids.push(this.eos[0]);
    return ids;
  }

  private plainTokenizer(): HFTokenizer {
    if (this.special.size === 0) return this.tok;
    if (!this.plain) {
      const added = (this.json.added_tokens ?? []) as Json[];
      this.plain = build({ ...this.json, added_tokens: added.filter((a) => !a.special) }, this.config);
    }
    return this.plain;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    for (const id of ids) checkId(id, this.vocabSize, this.kind);
    if (ids.length === 0) return "";
    return this.tok.decode(ids.slice(), { skip_special_tokens: opts.skipSpecial ?? true });
  }

  // Incremental detokenization by differences of window decodes (as text-generation-inference
  // does): decoders like Strip or Metaspace act on the whole string, so single pieces cannot be
  // decoded alone. Text ending in U+FFFD (an unfinished UTF-8 sequence) is held back.
  decoder(opts: DecodeOptions = {}): StreamDecoder {
    const ids: number[] = [];
    let prefix = 0, read = 0;
    const dec = (a: number, b: number) => this.decode(ids.slice(a, b), opts);
    const step = (final: boolean): string => {
      const before = dec(prefix, read), now = dec(prefix, ids.length);
      if (now.length > before.length && (final || !now.endsWith("\ufffd"))) {
        prefix = read;
        read = ids.length;
        return now.slice(before.length);
      }
      return "";
    };
    return {
      push: (id: number) => { checkId(id, this.vocabSize, this.kind); ids.push(id); return step(false); },
      flush: () => step(true),
    };
  }

  piece(id: number): string {
    checkId(id, this.vocabSize, this.kind);
    return this.pieces[id];
  }
}

function build(json: Json, config: Json): HFTokenizer {
  const tok = new HFTokenizer(json, config);
  const m = json.model as Json;
  if (m.type === "BPE" && !m.continuing_subword_suffix && !m.end_of_word_suffix && !m.dropout) {
    // Tokenizer.model is a public field and Model the library's exported base class for models
    tok.model = new MergeRunsBPE(m, (json.added_tokens ?? []) as Json[]);
  }
  return tok;
}

// Our BPE model under the library's pipeline (normalizer, pre-tokenizer, added tokens, decoders
// stay the library's). Why: the library's BPE runs one priority queue of node objects per word
// at ~40 us per character, which is seconds for a long text when the tokenizer has no
// pre-tokenizer (the whole text is one word). This picks the same merges (lowest rank, ties
// leftmost; a later duplicate merge overrides an earlier one, as the library's rank map does)
// with merge.ts, on the independent runs of the word (see AdjacentPairs, built from the merge
// results since BPE merges whether or not the result is in the vocabulary), and caches runs.
// It uses only the library's public surface: it extends the exported abstract Model and fills
// the fields the Tokenizer reads (vocab, tokens_to_ids, unk_token, unk_token_id); the
// vocabulary, merges, byte fallback and unknown-token rules are read from tokenizer.json here,
// as the library's own BPE reads them. A test compares both on TinyStories text.
class MergeRunsBPE extends Model {
  private readonly ranks = new Map<string, number>();
  private readonly pairs: AdjacentPairs;
  private readonly cache = new Map<string, string[]>();
  private readonly byteFallback: boolean;
  private readonly ignoreMerges: boolean;
  private readonly utf8 = new TextEncoder();

  constructor(model: Json, added: readonly Json[]) {
    super(model as ConstructorParameters<typeof Model>[0]);
    for (const [t, id] of Object.entries((model.vocab ?? {}) as Record<string, number>)) this.tokens_to_ids.set(t, id);
    if (typeof model.unk_token === "string") {
      this.unk_token = model.unk_token;
      this.unk_token_id = this.tokens_to_ids.get(model.unk_token);
    }
    // the library's Tokenizer registers added tokens in its model's maps; this model replaces it
    for (const a of added) this.tokens_to_ids.set(a.content, a.id);
    this.vocab = [];
    for (const [t, id] of this.tokens_to_ids) this.vocab[id] = t;
    const merges = ((model.merges ?? []) as (string | [string, string])[]).map((x) => (Array.isArray(x) ? x : x.split(" ", 2)));
    merges.forEach(([a, b], i) => this.ranks.set(a + "\u0000" + b, i));
    this.pairs = new AdjacentPairs(merges.map(([a, b]) => a + b));
    this.byteFallback = model.byte_fallback ?? false;
    this.ignoreMerges = model.ignore_merges ?? false;
  }

  // pre-tokenized words -> vocabulary pieces (byte-fallback pieces or the unknown token for
  // pieces outside the vocabulary)
  encode(words: string[]): string[] {
    const out: string[] = [];
    for (const w of words) {
      if (this.ignoreMerges && this.tokens_to_ids.has(w)) { out.push(w); continue; }
      for (const p of this.bpe(w)) {
        if (this.tokens_to_ids.has(p)) { out.push(p); continue; }
        const bytes = this.byteFallback ? Array.from(this.utf8.encode(p), (x) => `<0x${x.toString(16).toUpperCase().padStart(2, "0")}>`) : [];
        if (bytes.length && bytes.every((x) => this.tokens_to_ids.has(x))) out.push(...bytes);
        else if (this.unk_token != null) out.push(this.unk_token);
      }
    }
    return out;
  }

  private bpe(word: string): string[] {
    const out: string[] = [];
    for (const run of this.pairs.splitText(word)) {
      let pieces = this.cache.get(run);
      if (pieces === undefined) {
        pieces = mergeSymbols(Array.from(run), (l, r) => this.ranks.get(l + "\u0000" + r));
        if (run.length < 256) {
          if (this.cache.size >= 10_000) this.cache.clear();
          this.cache.set(run, pieces);
        }
      }
      for (const p of pieces) out.push(p);
    }
    return out;
  }
}
