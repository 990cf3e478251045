// The library API: load a model from any source, then generate or complete.
//   const llm = await LLM.load(source, { onProgress, contextSize });   // LLM.load(): the default model
//   for await (const piece of llm.generate(prompt, opts)) ...
//   const r = await llm.complete(prompt, opts);   // { text, tokens, finishReason, stats, kv }
//   const s = llm.session({ system, kv });         // a chat that keeps its KV cache (chat-session.ts)
//   const s2 = await llm.restore(await s.save());
// Calls queue: one model runs one generation at a time, in call order, across its sessions.
import { eitherAborted } from "./util/abort.ts";
import { createRuntime, envBuild, type BuildName, type Runtime } from "./wasm/runtime.ts";
import { openModel, type ModelSource, type ModelFile } from "./format/model-file.ts";
import { loadWeights, type Weights } from "./model/weights.ts";
import { Transformer } from "./model/transformer.ts";
import type { ModelConfig } from "./model/config.ts";
import { TokenizerError, type Tokenizer } from "./tokenizer/types.ts";
import { loadTokenizer, type TokenizerSource } from "./tokenizer/load.ts";
import { applyChatTemplate, type ChatMessage } from "./tokenizer/chat.ts";
import { runGeneration, type GenerateOptions, type GenerationResult, type ModelContext } from "./generate/session.ts";
import { streamOf } from "./generate/stream.ts";
import { ChatSession, type SessionHost, type SessionOptions } from "./chat-session.ts";
import type { ModelIdentity } from "./kv/snapshot.ts";
import type { KVType } from "./kv/kv-type.ts";
import { crc32 } from "./util/crc32.ts";
import { ThreadPool } from "./wasm/threads.ts";
import { POOL_KERNELS } from "./wasm/ops/parallel.ts";
import { DEFAULT_MODEL } from "./default-model.ts";
import { OptionError } from "./util/option-error.ts";
import type { FiniteChecks } from "./model/finite.ts";
import { checkVocab } from "./model/vocab-check.ts";
import { weightHeapBytes } from "./model/weights.ts";
import { ModelFormatError } from "./format/errors.ts";
import { autoThreads } from "./capabilities.ts";

// the most threads load() starts (each one a worker with its own instance of the kernel module)
export const MAX_THREADS = 64;

// parameters in the model's 2-D weights (what the linear layers and the embedding hold)
function linearParams(file: ModelFile): number {
  let n = 0;
  for (const e of file.tensors.values()) if (e.shape.length === 2) n += e.shape[0] * e.shape[1];
  return n;
}

export interface LoadProgress { stage: "read" | "weights" | "ready"; loaded: number; total: number }

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  contextSize?: number;        // default: the model's context length
  threads?: number | "auto";   // threads for the linear layers and attention (default 1; "auto": 1 for models under
                               // 1M parameters, where the hand-off costs more than it saves, else
                               // capabilities().threads); `llm.threads` says how many run
  build?: BuildName | "auto";  // kernel build (default: BUDGETKV_BUILD in the environment, else auto)
  runtime?: Runtime;           // share a runtime between models
  tokenizer?: TokenizerSource; // llama2.c models: tokenizer.bin (path or bytes)
  maxChunk?: number;           // prefill chunk size (default DEFAULT_MAX_CHUNK = 512, at most contextSize)
  // NaN/Inf checks: "logits" (default: each step's logits; a NonFiniteError names the first
  // non-finite layer), "layers" (every layer's output on every step, for debugging), "off"
  checkFinite?: FiniteChecks;
}

export type Prompt = string | { tokens: number[] } | ChatMessage[];

export class LLM {
  private constructor(
    readonly rt: Runtime,
    readonly file: ModelFile,
    readonly config: ModelConfig,
    readonly tokenizer: Tokenizer,
    private readonly weights: Weights,
    private readonly model: Transformer,
    readonly contextSize: number,
    readonly loadMs: number,
    private readonly pool: ThreadPool | undefined,
  ) {}

  // threads the linear layers run on (1 when the runtime cannot start workers: no shared memory,
  // or a page's main thread)
  get threads(): number { return this.pool?.threads ?? 1; }

  // With no arguments, the model shipped in the package (DEFAULT_MODEL) with the context it was
  // trained on; LLM.load(DEFAULT_MODEL.url, options) loads it with other options. An explicit
  // undefined or null source is an error, not the default.
  static load(): Promise<LLM>;
  static load(source: ModelSource, opts?: LoadOptions): Promise<LLM>;
  static async load(...args: [] | [ModelSource, LoadOptions?]): Promise<LLM> {
    if (args.length === 0) return LLM.loadFrom(DEFAULT_MODEL.url, { contextSize: DEFAULT_MODEL.trainedContext });
    const [source, opts = {}] = args;
    if (source === undefined || source === null) {
      throw new TypeError(`LLM.load(${source}): no model source; call LLM.load() with no arguments for the default model, or LLM.load(DEFAULT_MODEL.url, options)`);
    }
    return LLM.loadFrom(source, opts);
  }

  private static async loadFrom(source: ModelSource, opts: LoadOptions): Promise<LLM> {
    const t0 = (globalThis.performance ?? Date).now();
    if (opts.contextSize !== undefined && (!Number.isInteger(opts.contextSize) || opts.contextSize < 1)) {
      throw new OptionError("contextSize", opts.contextSize, "must be a positive integer");
    }
    if (opts.threads !== undefined && opts.threads !== "auto" && (!Number.isInteger(opts.threads) || opts.threads < 1 || opts.threads > MAX_THREADS)) {
      throw new OptionError("threads", opts.threads, `must be an integer from 1 to ${MAX_THREADS}, or "auto"`);
    }
    if (opts.checkFinite !== undefined && !["logits", "layers", "off"].includes(opts.checkFinite)) {
      throw new OptionError("checkFinite", opts.checkFinite, `must be "logits", "layers" or "off"`);
    }
    const build = opts.build ?? envBuild();
    const file = await openModel(source, { onProgress: (loaded, total) => opts.onProgress?.({ stage: "read", loaded, total }) });
    let weights: Weights | undefined;
    let pool: ThreadPool | undefined;
    try {
      const threads = opts.threads !== "auto" ? opts.threads ?? 1 : Math.min(MAX_THREADS, autoThreads(linearParams(file)));
      // shared memory only for worker threads: V8 keeps a few bytes for every shared memory the
      // process ever created (a weak list it does not compact), so one per load would grow the
      // heap over many loads; one thread needs none
      const rt = opts.runtime ?? (await createRuntime({ build, shared: threads > 1 ? undefined : false }));
      const tokenizer = await loadTokenizer(file, opts.tokenizer, source);
      const cfg = file.config;
      checkVocab(cfg, tokenizer, file.name);
      // refused from the header, before a byte of tensor data is read
      const need = weightHeapBytes(file), room = rt.heap.limitBytes - rt.heap.stats.bytesInUse;
      if (need > room) {
        throw new ModelFormatError(file.name, "tensors", undefined, `the weights need ${(need / 2 ** 30).toFixed(2)} GiB of WebAssembly memory (f16/bf16 and some quantized types are expanded to f32), more than the ${(room / 2 ** 30).toFixed(2)} GiB available (WebAssembly memory ends at 4 GiB)`);
      }
      const contextSize = Math.min(opts.contextSize ?? cfg.contextLength, 1 << 20);
      let done = 0;
      const total = file.tensors.size;
      weights = await loadWeights(rt, file, () => opts.onProgress?.({ stage: "weights", loaded: ++done, total }));
      pool = await ThreadPool.create(rt, threads, POOL_KERNELS);
      const model = new Transformer(rt, cfg, weights, { contextSize, maxChunk: opts.maxChunk, pool, checkFinite: opts.checkFinite });
      opts.onProgress?.({ stage: "ready", loaded: total, total });
      return new LLM(rt, file, cfg, tokenizer, weights, model, contextSize, (globalThis.performance ?? Date).now() - t0, pool);
    } catch (e) {
      pool?.dispose();
      weights?.dispose();
      await file.close();
      throw e;
    } finally {
      if (weights) await file.close();
    }
  }

  // The engine under the API, for the evaluation harness.
  get engine(): { rt: Runtime; model: Transformer } {
    return { rt: this.rt, model: this.model };
  }

  tokenize(text: string, opts: { addBos?: boolean } = {}): number[] {
    return this.tokenizer.encode(text, { addBos: opts.addBos });
  }

  detokenize(ids: readonly number[]): string {
    return this.tokenizer.decode(ids);
  }

  // The prompt's token ids: BOS alone for an empty string (as llama2.c does).
  promptTokens(prompt: Prompt, addBos?: boolean): number[] {
    if (Array.isArray(prompt)) {
      const text = this.renderChat(prompt, true);
      return this.tokenizer.encode(text, { addBos: false, parseSpecial: true });
    }
    if (typeof prompt === "object") return [...prompt.tokens];
    const ids = this.tokenizer.encode(prompt, { addBos, parseSpecial: true });
    if (ids.length === 0 && prompt.length > 0) throw new TokenizerError(`${this.file.name}: the tokenizer gave no tokens for a non-empty prompt (its vocabulary covers none of the text)`);
    if (ids.length === 0 && this.tokenizer.bos !== undefined) return [this.tokenizer.bos];
    return ids;
  }

  private chatTemplate(): string {
    const t = this.file.chatTemplate;
    if (!t) throw new Error(`${this.file.name} has no chat template; pass a plain string prompt instead`);
    return t;
  }

  private eosSet(): Set<number> {
    const s = new Set<number>(this.tokenizer.eos);
    // llama2.c models end a sample at BOS, as run.c does
    if (this.file.format === "llama2c" && this.tokenizer.bos !== undefined) s.add(this.tokenizer.bos);
    return s;
  }

  // Streams text pieces; the final result is on the returned object's `result` promise.
  generate(prompt: Prompt, opts: GenerateOptions = {}): AsyncIterable<string> & { result: Promise<GenerationResult> } {
    return streamOf((onPiece) => this.run(prompt, opts, onPiece));
  }

  async complete(prompt: Prompt, opts: GenerateOptions = {}): Promise<GenerationResult> {
    return this.run(prompt, opts, () => {});
  }

  // A one-shot generation: a cache of its own, freed when it ends. dispose() while it runs
  // aborts it: it ends at its next token with finish reason "abort".
  private run(prompt: Prompt, opts: GenerateOptions, onPiece: (p: string) => void): Promise<GenerationResult> {
    this.checkLive();
    return this.exclusive(async () => {
      this.checkLive();
      const ids = this.promptTokens(prompt, opts.addBos);
      const ac = new AbortController();
      this.running = ac;
      try {
        return await runGeneration(this.context(), ids, { ...opts, signal: eitherAborted(ac.signal, opts.signal) }, (piece) => { onPiece(piece); return this.yieldNow(); });
      } finally {
        this.running = undefined;
      }
    });
  }

  // A chat session over this model: its own KV cache, these weights (see chat-session.ts).
  session(opts: SessionOptions = {}): ChatSession {
    this.checkLive();
    const s = new ChatSession(this.host, opts);
    this.sessions.add(s);
    return s;
  }

  // A session from the bytes ChatSession.save() returned, saved from this model. opts.kv.type, when
  // given, must be the type the session was saved with (a different one is one SnapshotError).
  async restore(bytes: Uint8Array, opts: { kv?: { type?: KVType } } = {}): Promise<ChatSession> {
    this.checkLive();
    const s = await this.exclusive(async () => { this.checkLive(); return ChatSession.restore(this.host, bytes, opts?.kv?.type); });
    if (this.disposed) { s.dispose(); throw new Error("the model was disposed"); }
    this.sessions.add(s);
    return s;
  }

  private readonly sessions = new Set<ChatSession>();
  private lock: Promise<unknown> = Promise.resolve();
  private busy = false;                  // a queued call is running (its fn has not settled)
  private running?: AbortController;     // the one-shot generation running now

  // Runs fn after every call queued before it (the run state and the heap are shared). A call
  // that starts after dispose() finds the model disposed (checkLive) and does not run.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(async () => {
      this.busy = true;
      try {
        return await fn();
      } finally {
        this.busy = false;
        if (this.disposed) this.free();   // dispose() came while fn ran: free now that it ended
      }
    });
    this.lock = p.catch(() => {});
    return p;
  }

  private context(): ModelContext {
    return { rt: this.rt, model: this.model, tokenizer: this.tokenizer, eos: this.eosSet(), contextSize: this.contextSize };
  }

  private ident?: ModelIdentity;

  // What a saved session must match: the shapes and a checksum of some of the weights.
  private identity(): ModelIdentity {
    if (this.ident) return this.ident;
    const c = this.config, w = this.weights;
    let crc = crc32(w.outNorm.bytes());
    crc = crc32(w.tokEmbd.bytes().subarray(0, 65536), crc);
    return (this.ident = {
      name: this.file.name, arch: c.arch, dim: c.dim, nLayers: c.nLayers, nHeads: c.nHeads, nKvHeads: c.nKvHeads,
      headDim: c.headDim, vocabSize: c.vocabSize, weights: crc.toString(16).padStart(8, "0"),
    });
  }

  private hostOf?: SessionHost;
  private get host(): SessionHost {
    if (this.hostOf) return this.hostOf;
    const file = this.file;
    return (this.hostOf = {
      get name() { return file.name; },
      get chatTemplate() { return file.chatTemplate; },
      context: () => this.context(),
      identity: () => this.identity(),
      renderChat: (messages, gen) => this.renderChat(messages, gen),
      encode: (text, addBos) => {
        const ids = this.tokenizer.encode(text, { addBos, parseSpecial: true });
        return ids;
      },
      exclusive: (fn) => this.exclusive(fn),
      yieldNow: () => this.yieldNow(),
      release: (s) => { this.sessions.delete(s); },
    });
  }

  private renderChat(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
    const tok = this.tokenizer;
    return applyChatTemplate(this.chatTemplate(), messages, {
      bos_token: tok.bos !== undefined ? tok.piece(tok.bos) : "",
      eos_token: tok.eos.length ? tok.piece(tok.eos[0]) : "",
      add_generation_prompt: addGenerationPrompt,
    });
  }

  private checkLive(): void {
    if (this.disposed) throw new Error("the model was disposed");
  }

  private disposed = false;
  private lastYield = 0;

  // Lets the event loop run (stream consumers, timers, an AbortSignal's timeout) at most every
  // 20 ms; in between, streaming costs one resolved promise per piece.
  private yieldNow(): Promise<void> | void {
    const t = (globalThis.performance ?? Date).now();
    if (t - this.lastYield < 20) return;
    this.lastYield = t;
    return new Promise<void>((r) => setTimeout(r, 0));
  }

  // Frees the weights, the run state, the thread pool and every session's cache. Calls queued
  // behind a running one reject with "the model was disposed". A generation or turn running now
  // ends at its next token (finish reason "abort"), and the memory is freed when it has ended:
  // nothing it still reads is freed under it.
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of [...this.sessions]) s.dispose();
    this.running?.abort();
    if (!this.busy) this.free();
  }

  private freed = false;
  private free(): void {
    if (this.freed) return;
    this.freed = true;
    this.model.dispose();
    this.weights.dispose();
    this.pool?.dispose();
  }
}
