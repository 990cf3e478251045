// One generation over a loaded model: tokenize, chunked prefill, optional KV prune, decode loop
// with sampling, stop strings, EOS and AbortSignal, streaming text pieces as they complete.
import type { Runtime } from "../wasm/runtime.ts";
import type { Transformer } from "../model/transformer.ts";
import type { Tokenizer } from "../tokenizer/types.ts";
import { Sampler, type SamplingOptions } from "./sampler.ts";
import { StopMatcher } from "./stop.ts";
import type { KVOptions, KVReport } from "../kv/options.ts";
import { KVController } from "../kv/controller.ts";

export type FinishReason = "eos" | "length" | "stop" | "abort";

export interface GenerateOptions extends SamplingOptions {
  maxTokens?: number;         // tokens to generate (default 256)
  stop?: string[];            // stop strings
  signal?: AbortSignal;
  addBos?: boolean;           // default: the tokenizer's own setting
  kv?: KVOptions;             // KV cache policy (default: full cache)
}

export interface GenerationStats {
  promptTokens: number;
  generatedTokens: number;
  prefillMs: number;
  prefillTokS: number;
  decodeMs: number;
  decodeTokS: number;
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
    throw new RangeError(`invalid option maxTokens = ${o.maxTokens}: must be an integer >= 0`);
  }
  if (o.stop !== undefined && !Array.isArray(o.stop)) throw new RangeError("invalid option stop: must be an array of strings");
}

// Runs one generation, calling onPiece with each piece of text as soon as it is final.
export async function runGeneration(ctx: ModelContext, promptTokens: number[], opts: GenerateOptions, onPiece: (text: string, token: number) => void | Promise<void>): Promise<GenerationResult> {
  validateGenerate(opts);
  const { model, tokenizer, contextSize } = ctx;
  const maxTokens = opts.maxTokens ?? 256;
  const nPrompt = promptTokens.length;
  if (nPrompt === 0) throw new RangeError("the prompt has no tokens (and the tokenizer has no BOS to start from)");
  if (nPrompt > contextSize) throw new RangeError(`the prompt is ${nPrompt} tokens, longer than the context size ${contextSize}`);
  const sampler = new Sampler(model.cfg.vocabSize, opts);
  const stop = new StopMatcher(opts.stop ?? []);
  const budget = Math.min(maxTokens, contextSize - nPrompt);
  const kvc = new KVController(ctx.rt, model, opts.kv ?? {}, nPrompt, budget);
  const history = new Int32Array(nPrompt + budget + 1);
  history.set(promptTokens);
  let n = nPrompt;
  const tokens: number[] = [];
  let text = "";
  let finish: FinishReason = "length";
  // the first piece after BOS loses its leading space, as the reference detokenizers do
  const afterBos = promptTokens[nPrompt - 1] === tokenizer.bos;
  const decoder = tokenizer.decoder({ continuation: !afterBos, afterBos });
  try {
    const t0 = now();
    kvc.run(history, 0, nPrompt, { signal: opts.signal });   // prefill, then the policy's prefill prune
    const t1 = now();
    while (tokens.length < budget) {
      if (opts.signal?.aborted) { finish = "abort"; break; }
      const next = sampler.sample(model.logits.f32(), history, n);
      if (ctx.eos.has(next)) { finish = "eos"; break; }
      history[n++] = next;
      tokens.push(next);
      const piece = stop.push(decoder.push(next));
      text += piece.emit;
      if (piece.emit) await onPiece(piece.emit, next);
      if (piece.stopped) { finish = "stop"; break; }
      if (tokens.length === budget) break;
      kvc.run(history, n - 1, 1);
    }
    if (finish !== "stop") {
      const rest = stop.push(decoder.flush());
      const tail = rest.emit + (rest.stopped ? "" : stop.flush());
      if (rest.stopped) finish = "stop";
      if (tail) { text += tail; await onPiece(tail, -1); }
    }
    const t2 = now();
    const prefillMs = t1 - t0, decodeMs = t2 - t1;
    return {
      text, promptTokens: [...promptTokens], tokens, finishReason: finish,
      stats: {
        promptTokens: nPrompt, generatedTokens: tokens.length,
        prefillMs, prefillTokS: nPrompt / (prefillMs / 1000),
        decodeMs, decodeTokS: tokens.length / (decodeMs / 1000),
      },
      kv: kvc.report(),
    };
  } finally {
    kvc.dispose();
  }
}
