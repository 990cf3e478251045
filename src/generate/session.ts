// One generation over a loaded model: tokenize, chunked prefill, optional KV prune, decode loop
// with sampling, stop strings, EOS and AbortSignal, streaming text pieces as they complete.
import type { Runtime } from "../wasm/runtime.ts";
import type { Transformer } from "../model/transformer.ts";
import type { Tokenizer } from "../tokenizer/types.ts";
import { Sampler, type SamplingOptions } from "./sampler.ts";
import { StopMatcher } from "./stop.ts";
import type { KVOptions, KVReport } from "../kv/options.ts";
import type { KVLayerStats } from "../kv/store.ts";
import { KVController } from "../kv/controller.ts";
import { OptionError } from "../util/option-error.ts";
import { ContextError } from "../util/context-error.ts";

export type FinishReason = "eos" | "length" | "stop" | "abort";

export interface GenerateOptions extends SamplingOptions {
  maxTokens?: number;         // tokens to generate (default 256)
  stop?: string[];            // stop strings
  signal?: AbortSignal;
  addBos?: boolean;           // default: the tokenizer's own setting
  kv?: KVOptions;             // KV cache policy (default: full cache)
  ignoreEos?: boolean;        // never sample an end-of-generation token, so exactly maxTokens are
                              // generated unless the context fills or a stop string matches
                              // (llama.cpp's --ignore-eos: their logits are set to -inf)
  // after the prefill (and its prune) and after each decoded token's forward pass; a returned
  // promise is awaited (a Worker yields there so a stop message is seen within one token)
  onStep?: (step: GenerationStep) => void | Promise<void>;
}

// What onStep sees: one object, reused for every step. Its methods allocate, so a caller that
// draws a chart calls them when it draws, not necessarily at every token.
export interface GenerationStep {
  generated: number;          // tokens generated so far (0 right after the prefill)
  seen: number;               // positions in the cache so far: what a full cache holds
  layers(): KVLayerStats[];   // rows each layer holds now (mean over KV heads) and its measured heap bytes
  report(): KVReport;         // the policy's report as of its last prune
}

export interface GenerationStats {
  promptTokens: number;
  generatedTokens: number;
  prefillMs: number;
  prefillTokS: number;
  decodeMs: number;
  decodeRuns: number;  // forward passes while decoding: the last sampled token is not run, so generatedTokens - 1 at most
  decodeTokS: number;  // decodeRuns per second (as llama-bench's tg and llama.cpp's eval time count them)
}

export interface GenerationResult {
  text: string;
  promptTokens: number[];
  tokens: number[];
  finishReason: FinishReason;
  stats: GenerationStats;
  kv?: KVReport;
}

export interface ModelContext {
  rt: Runtime;
  model: Transformer;
  tokenizer: Tokenizer;
  eos: ReadonlySet<number>;
  contextSize: number;
}

const now = () => (globalThis.performance ?? Date).now();

export function validateGenerate(o: GenerateOptions): void {
  if (o.maxTokens !== undefined && (!Number.isInteger(o.maxTokens) || o.maxTokens < 0)) {
    throw new OptionError("maxTokens", o.maxTokens, "must be an integer >= 0");
  }
  if (o.ignoreEos !== undefined && typeof o.ignoreEos !== "boolean") throw new OptionError("ignoreEos", o.ignoreEos, "must be true or false");
  if (o.stop !== undefined && !Array.isArray(o.stop)) throw new OptionError("stop", o.stop, "must be an array of strings", "invalid option stop: must be an array of strings");
  if (o.onStep !== undefined && typeof o.onStep !== "function") throw new OptionError("onStep", o.onStep, "must be a function", "invalid option onStep: must be a function");
}

// Every token of a sequence, growing by doubling (token i is at position i).
export class TokenSeq {
  private buf: Int32Array;
  length = 0;
  constructor(ids: ArrayLike<number> = [], cap = 64) {
    this.buf = new Int32Array(Math.max(cap, ids.length));
    this.pushAll(ids);
  }
  get ids(): Int32Array { return this.buf; }          // valid up to length; replaced when it grows
  at(i: number): number { return this.buf[i]; }
  push(t: number): void {
    if (this.length === this.buf.length) this.grow(this.length + 1);
    this.buf[this.length++] = t;
  }
  pushAll(ids: ArrayLike<number>): void {
    if (this.length + ids.length > this.buf.length) this.grow(this.length + ids.length);
    this.buf.set(ids, this.length);
    this.length += ids.length;
  }
  // room for n more tokens without growing (so the decode loop allocates nothing)
  reserve(n: number): void {
    if (this.length + n > this.buf.length) this.grow(this.length + n);
  }
  toArray(): number[] { return Array.from(this.buf.subarray(0, this.length)); }
  private grow(need: number): void {
    const b = new Int32Array(Math.max(need, this.buf.length * 2));
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
}

// Makes room for nNew tokens: a context shift (kv.contextShift) when they do not fit, else one
// error saying why. kvc is undefined before a session's first turn.
export function fitTurn(ctx: ModelContext, kvc: KVController | undefined, nNew: number, shift: boolean): void {
  const c = ctx.contextSize;
  if (!kvc || kvc.pos === 0) {
    if (nNew > c) throw new ContextError(`the prompt is ${nNew} tokens, longer than the context size ${c}`, nNew, c);
    return;
  }
  if (kvc.rows + nNew <= c) return;
  if (shift && nNew < c) {
    kvc.shift(c);
    if (kvc.rows + nNew <= c) return;
  }
  throw new ContextError(`the new turn is ${nNew} tokens and the cache holds ${kvc.rows} of the context size ${c}` +
    (shift ? "; a context shift did not free enough" : " (prune per turn with phase \"turn\", or set contextShift)"), nNew, c);
}

// Runs the tokens of seq the cache has not seen (seq[kvc.pos ..): the prompt, or a session's
// new turn), then decodes up to maxTokens, appending each sampled token to seq (not EOS). The
// last sampled token is not run (nothing needs its logits): it stays in seq and the next turn
// runs it first. Calls onPiece with each piece of text as soon as it is final.
export async function runTurn(ctx: ModelContext, kvc: KVController, seq: TokenSeq, opts: GenerateOptions, onPiece: (text: string, token: number) => void | Promise<void>): Promise<GenerationResult> {
  validateGenerate(opts);
  const { model, tokenizer, contextSize } = ctx;
  const maxTokens = opts.maxTokens ?? 256;
  const shift = opts.kv?.contextShift === true;
  const n0 = kvc.pos, nPrompt = seq.length - n0;
  if (nPrompt < 1) throw new RangeError("the turn has no new tokens");
  const shifts0 = kvc.shifts.length;
  // ids past the tokenizer's vocabulary (padded embedding rows) have no text: never sampled
  const sampler = new Sampler(Math.min(model.cfg.vocabSize, tokenizer.vocabSize), opts, opts.ignoreEos ? [...ctx.eos] : []);
  const stop = new StopMatcher(opts.stop ?? []);
  const promptTokens = Array.from(seq.ids.subarray(n0, seq.length));
  seq.reserve(Math.min(maxTokens, shift ? maxTokens : contextSize) + 1);
  const tokens: number[] = [];
  let runs = 0;
  let text = "";
  let finish: FinishReason = "length";
  // the first piece after BOS loses its leading space, as the reference detokenizers do
  const afterBos = seq.at(seq.length - 1) === tokenizer.bos;
  const decoder = tokenizer.decoder({ continuation: !afterBos, afterBos });
  const t0 = now();
  let prefilled = true;
  try {
    kvc.run(seq.ids, n0, nPrompt, { signal: opts.signal });   // prefill, then the policy's prefill prune
  } catch (e) {
    // aborted between chunks: the cache keeps the chunks that ran (a session runs the rest next turn)
    if (!opts.signal?.aborted) throw e;
    prefilled = false;
    finish = "abort";
  }
  const t1 = now();
  const onStep = opts.onStep;
  const step: GenerationStep = { generated: 0, seen: 0, layers: () => kvc.store.layerStats(), report: () => kvc.report(shifts0) };
  if (onStep && prefilled) { step.seen = kvc.store.seen; await onStep(step); }
  while (prefilled && tokens.length < maxTokens) {
    if (opts.signal?.aborted) { finish = "abort"; break; }
    // the token about to be sampled needs a row of the context
    if (kvc.rows >= contextSize) {
      if (!shift) break;
      kvc.shift(contextSize);
    }
    const next = sampler.sample(model.logits.f32(), seq.ids, seq.length);
    if (ctx.eos.has(next) && !opts.ignoreEos) { finish = "eos"; break; }
    seq.push(next);
    tokens.push(next);
    const piece = stop.push(decoder.push(next));
    text += piece.emit;
    if (piece.emit) await onPiece(piece.emit, next);
    if (piece.stopped) { finish = "stop"; break; }
    if (tokens.length === maxTokens) break;
    // an abort seen while onPiece yielded: stop before running the token (within one token)
    if (opts.signal?.aborted) { finish = "abort"; break; }
    kvc.run(seq.ids, seq.length - 1, 1);
    runs++;
    if (onStep) { step.generated = tokens.length; step.seen = kvc.store.seen; await onStep(step); }
  }
  if (finish !== "stop" && prefilled) {
    const rest = stop.push(decoder.flush());
    const tail = rest.emit + (rest.stopped ? "" : stop.flush());
    if (rest.stopped) finish = "stop";
    if (tail) { text += tail; await onPiece(tail, -1); }
  }
  const t2 = now();
  const prefillMs = t1 - t0, decodeMs = t2 - t1;
  return {
    text, promptTokens, tokens, finishReason: finish,
    stats: {
      promptTokens: nPrompt, generatedTokens: tokens.length,
      prefillMs, prefillTokS: nPrompt / (prefillMs / 1000),
      decodeMs, decodeRuns: runs, decodeTokS: runs > 0 ? runs / (decodeMs / 1000) : 0,
    },
    kv: kvc.report(shifts0),
  };
}

// One generation from a prompt over a cache of its own, freed at the end.
export async function runGeneration(ctx: ModelContext, promptTokens: number[], opts: GenerateOptions, onPiece: (text: string, token: number) => void | Promise<void>): Promise<GenerationResult> {
  validateGenerate(opts);
  const nPrompt = promptTokens.length;
  if (nPrompt === 0) throw new RangeError("the prompt has no tokens (and the tokenizer has no BOS to start from)");
  fitTurn(ctx, undefined, nPrompt, false);
  const maxTokens = opts.maxTokens ?? 256;
  const kvc = new KVController(ctx.rt, ctx.model, opts.kv ?? {}, nPrompt, Math.min(maxTokens, ctx.contextSize - nPrompt));
  try {
    return await runTurn(ctx, kvc, new TokenSeq(promptTokens, nPrompt + Math.min(maxTokens, 4096) + 1), opts, onPiece);
  } finally {
    kvc.dispose();
  }
}
