// The library API: load a model from any source, then generate or complete.
//   const llm = await LLM.load(source, { onProgress, contextSize });
//   for await (const piece of llm.generate(prompt, opts)) ...
//   const r = await llm.complete(prompt, opts);   // { text, tokens, finishReason, stats, kv }
import { createRuntime, envBuild, type BuildName, type Runtime } from "./wasm/runtime.ts";
import { openModel, type ModelSource, type ModelFile } from "./format/model-file.ts";
import { loadWeights, type Weights } from "./model/weights.ts";
import { Transformer } from "./model/transformer.ts";
import type { ModelConfig } from "./model/config.ts";
import type { Tokenizer } from "./tokenizer/types.ts";
import { loadTokenizer, type TokenizerSource } from "./tokenizer/load.ts";
import { applyChatTemplate, type ChatMessage } from "./tokenizer/chat.ts";
import { runGeneration, type GenerateOptions, type GenerationResult } from "./generate/session.ts";
import { ThreadPool } from "./wasm/threads.ts";
import { LINEAR_KERNELS } from "./wasm/ops/parallel.ts";

export interface LoadProgress { stage: "read" | "weights" | "ready"; loaded: number; total: number }

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  contextSize?: number;        // default: the model's context length
  threads?: number;            // threads for the linear layers (default 1); `llm.threads` says how many run
  build?: BuildName | "auto";  // kernel build (default: BUDGETKV_BUILD in the environment, else auto)
  runtime?: Runtime;           // share a runtime between models
  tokenizer?: TokenizerSource; // llama2.c models: tokenizer.bin (path or bytes)
  maxChunk?: number;           // prefill chunk size (default 64)
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

  static async load(source: ModelSource, opts: LoadOptions = {}): Promise<LLM> {
    const t0 = (globalThis.performance ?? Date).now();
    if (opts.contextSize !== undefined && (!Number.isInteger(opts.contextSize) || opts.contextSize < 1)) {
      throw new RangeError(`invalid option contextSize = ${opts.contextSize}: must be a positive integer`);
    }
    if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) {
      throw new RangeError(`invalid option threads = ${opts.threads}: must be a positive integer`);
    }
    const rt = opts.runtime ?? (await createRuntime({ build: opts.build ?? envBuild() }));
    const file = await openModel(source, { onProgress: (loaded, total) => opts.onProgress?.({ stage: "read", loaded, total }) });
    let weights: Weights | undefined;
    let pool: ThreadPool | undefined;
    try {
      const tokenizer = await loadTokenizer(file, opts.tokenizer, source);
      const cfg = file.config;
      const contextSize = Math.min(opts.contextSize ?? cfg.contextLength, 1 << 20);
      let done = 0;
      const total = file.tensors.size;
      weights = await loadWeights(rt, file, () => opts.onProgress?.({ stage: "weights", loaded: ++done, total }));
      pool = await ThreadPool.create(rt, opts.threads ?? 1, LINEAR_KERNELS);
      const model = new Transformer(rt, cfg, weights, { contextSize, maxChunk: opts.maxChunk, pool });
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
      const tok = this.tokenizer;
      const text = applyChatTemplate(this.chatTemplate(), prompt, {
        bos_token: tok.bos !== undefined ? tok.piece(tok.bos) : "",
        eos_token: tok.eos.length ? tok.piece(tok.eos[0]) : "",
        add_generation_prompt: true,
      });
      return this.tokenizer.encode(text, { addBos: false, parseSpecial: true });
    }
    if (typeof prompt === "object") return [...prompt.tokens];
    const ids = this.tokenizer.encode(prompt, { addBos, parseSpecial: true });
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
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const result = (async () => {
      await Promise.resolve();
      try {
        return await this.run(prompt, opts, (piece) => { queue.push(piece); wake?.(); });
      } catch (e) {
        failure = e;
        throw e;
      } finally {
        finished = true;
        wake?.();
      }
    })();
    result.catch(() => {});
    return {
      result,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          if (queue.length) { yield queue.shift()!; continue; }
          if (finished) {
            if (failure) throw failure;
            return;
          }
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      },
    };
  }

  async complete(prompt: Prompt, opts: GenerateOptions = {}): Promise<GenerationResult> {
    return this.run(prompt, opts, () => {});
  }

  private busy = false;

  private async run(prompt: Prompt, opts: GenerateOptions, onPiece: (p: string) => void): Promise<GenerationResult> {
    if (this.busy) throw new Error("this model is already generating; await the current generation first");
    if (this.disposed) throw new Error("the model was disposed");
    this.busy = true;
    try {
      const ids = this.promptTokens(prompt, opts.addBos);
      return await runGeneration(
        { rt: this.rt, model: this.model, tokenizer: this.tokenizer, eos: this.eosSet(), contextSize: this.contextSize },
        ids, opts, (piece) => { onPiece(piece); return this.yieldNow(); },
      );
    } finally {
      this.busy = false;
    }
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

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
    this.weights.dispose();
    this.pool?.dispose();
  }
}
