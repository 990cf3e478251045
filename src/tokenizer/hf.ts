// tokenizer.json (+ tokenizer_config.json) through @huggingface/tokenizers, the maintained pure-JS
// port of Hugging Face tokenizers. BOS/EOS come from tokenizer_config.json (bos_token,
// add_bos_token, ...) or, failing that, from the post-processor's template for one sequence.
// The library always splits added tokens out of the text; for parseSpecial = false a second
// instance is built whose special added tokens are plain vocabulary entries.
// DecodeOptions.continuation is not supported here: the library's decoders (Strip, Metaspace)
// act on the whole decoded string.
import { BPE, Tokenizer as HFTokenizer } from "@huggingface/tokenizers";
import { AdjacentPairs, mergeSymbols } from "./merge.ts";
import { validateTokenizerJson } from "./validate.ts";
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
    validateTokenizerJson(json);
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw new TokenizerError("tokenizer_config.json: expected a JSON object");
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
    const ids = libCall("encode", () => lib.encode(text, { add_special_tokens: false }).ids);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new TokenizerError(`tokenizer.json: a piece of the text has no token id (got ${id}): the vocabulary lacks it and has no usable unk_token`);
      }
    }
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
    return libCall("decode", () => this.tok.decode(ids.slice(), { skip_special_tokens: opts.skipSpecial ?? true }));
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

// The library's own errors (a regex it cannot compile, a field it reads differently) as one
// TokenizerError naming tokenizer.json; validate.ts has caught what it can before.
function libCall<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TokenizerError) throw e;
    throw new TokenizerError(`tokenizer.json: the tokenizer library failed to ${what}: ${(e as Error)?.message ?? String(e)}`);
  }
}

function build(json: Json, config: Json): HFTokenizer {
  return libCall("build the tokenizer", () => buildUnchecked(json, config));
}

function buildUnchecked(json: Json, config: Json): HFTokenizer {
  const tok = new HFTokenizer(json, config);
  const m = tok.model;
  if (m instanceof BPE && !m.continuing_subword_suffix && !(m as Json).end_of_word_suffix) {
    // keep the library's vocabulary maps: the constructor registered the added tokens in them
    tok.model = Object.assign(new RunMergeBPE(json.model), { tokens_to_ids: (m as Json).tokens_to_ids, vocab: (m as Json).vocab });
  }
  return tok;
}

// The library's BPE model with its merge loop replaced: the library runs one priority queue of
// node objects per word at ~40 us per character, which is seconds for a long text when the
// tokenizer has no pre-tokenizer (the whole text is one word). This picks the same merges
// (lowest rank, ties leftmost; a later duplicate merge overrides an earlier one, as the library's
// rank map does) with merge.ts, on the independent runs of the word (see AdjacentPairs, built
// from the merge results since the library merges whether or not the result is in the vocabulary),
// and caches runs. Everything else (normalizer, added tokens, byte fallback, decoders) stays
// the library's; a test compares both on TinyStories text.
class RunMergeBPE extends BPE {
  private readonly ranks = new Map<string, number>();
  private readonly pairs: AdjacentPairs;

  constructor(config: Json) {
    super(config as ConstructorParameters<typeof BPE>[0]);
    this.merges.forEach(([a, b], i) => this.ranks.set(a + "\u0000" + b, i));
    this.pairs = new AdjacentPairs(this.merges.map(([a, b]) => a + b));
  }

  override bpe(token: string): string[] {
    const out: string[] = [];
    for (const run of this.pairs.splitText(token)) {
      let pieces = this.cache.get(run);
      if (pieces === undefined) {
        pieces = mergeSymbols(Array.from(run), (l, r) => this.ranks.get(l + "\u0000" + r));
        if (run.length < this.max_length_to_cache) this.cache.put(run, pieces);
      }
      for (const p of pieces) out.push(p);
    }
    return out;
  }
}
