// One fuzz case, as a hostile user would try it: load the mutated files, generate a few greedy
// tokens, tokenize and detokenize, dispose. The outcome is one of
//   ok       loaded and generated, every id in the vocabulary, logits finite
//   error    a typed error naming the problem (the only acceptable failure)
//   crash    any other exception (TypeError, RangeError, SyntaxError, a plain Error, ...)
//   nan      loaded and generated, but the logits are NaN or Inf and nothing said so
//   garbage  loaded and generated, but an id outside the vocabulary or a non-string came back
//   oom      the kernel heap was asked for more than the case's allowance
//   leak     kernel heap bytes still in use after dispose (or a load error)
// (hang is decided by the caller, which stops the worker after the time limit)
import { LLM } from "../../src/llm.ts";
import type { Runtime } from "../../src/wasm/runtime.ts";
import { OutOfMemoryError } from "../../src/wasm/heap.ts";
import { ModelFormatError } from "../../src/format/errors.ts";
import { SourceError, memorySource, type Folder } from "../../src/io/source.ts";
import { TokenizerError } from "../../src/tokenizer/types.ts";
import type { Target } from "./corpus.ts";

export type Outcome = "ok" | "error" | "crash" | "nan" | "garbage" | "oom" | "leak" | "hang";
export const OUTCOMES: readonly Outcome[] = ["ok", "error", "crash", "hang", "oom", "nan", "garbage", "leak"];

export interface CaseResult { outcome: Outcome; detail: string; ms: number }

// Errors a user may see: each names the file, field or value at fault (ContextError: a model whose
// context is shorter than the case's prompt). NonFiniteError and ContextError are looked up by
// name so this file runs against versions of the library without them.
const TYPED = new Set(["ModelFormatError", "SourceError", "TokenizerError", "NonFiniteError", "ConfigError", "ContextError"]);
export function isTyped(e: unknown): boolean {
  return e instanceof ModelFormatError || e instanceof SourceError || e instanceof TokenizerError || (e instanceof Error && TYPED.has(e.name));
}

function folderOf(files: Map<string, Uint8Array>): Folder {
  return {
    name: "fuzz",
    tryOpen: async (n: string) => (files.has(n) ? memorySource(files.get(n)!, `fuzz/${n}`) : undefined),
    list: async () => [...files.keys()],
  };
}

// Heap allowance per case: the model's own size in f32 (4-bit types dequantized to f32 grow up to
// ~7x) plus run state; anything past it came from a corrupt count or length.
export function allowance(files: Map<string, Uint8Array>): number {
  let n = 0;
  for (const b of files.values()) n += b.length;
  return 8 * n + (64 << 20);
}

const PROMPT = "Once upon a time, there was a little girl";

export async function runCase(rt: Runtime, t: Target, files: Map<string, Uint8Array>): Promise<CaseResult> {
  const t0 = performance.now();
  const baseline = rt.heap.stats.bytesInUse;
  const limit = rt.heap.limitBytes;
  rt.heap.limitBytes = baseline + allowance(files);
  let llm: LLM | undefined;
  let res: Omit<CaseResult, "ms">;
  try {
    const source = t.model ? memorySource(files.get(t.model) ?? new Uint8Array(0), `fuzz/${t.model}`) : folderOf(files);
    const tokenizer = t.tokenizer ? files.get(t.tokenizer) : undefined;
    llm = await LLM.load(source, { runtime: rt, tokenizer });
    res = await exercise(llm);
  } catch (e) {
    const err = e as Error;
    const msg = `${err?.name}: ${err?.message}`.slice(0, 300);
    if (e instanceof OutOfMemoryError) res = { outcome: "oom", detail: msg };
    else if (isTyped(e)) res = { outcome: "error", detail: msg };
    else res = { outcome: "crash", detail: `${msg}\n${String(err?.stack ?? "").split("\n").slice(1, 4).join("\n")}` };
  } finally {
    try { llm?.dispose(); } catch { /* reported through the leak check */ }
    rt.heap.limitBytes = limit;
  }
  const held = rt.heap.stats.bytesInUse - baseline;
  if (held !== 0 && res.outcome !== "crash") res = { outcome: "leak", detail: `${held} heap bytes held after ${res.outcome}: ${res.detail}` };
  return { ...res, ms: performance.now() - t0 };
}

async function exercise(llm: LLM): Promise<Omit<CaseResult, "ms">> {
  const vocab = llm.config.vocabSize;
  const inVocab = (ids: readonly number[]) => ids.every((id) => Number.isInteger(id) && id >= 0 && id < vocab);
  const ids = llm.tokenize(PROMPT);
  if (!inVocab(ids)) return { outcome: "garbage", detail: `tokenize gave ids outside [0, ${vocab}): ${JSON.stringify(ids.slice(0, 12))}` };
  const r = await llm.complete(PROMPT, { maxTokens: 4, temperature: 0 });
  if (typeof r.text !== "string" || !inVocab(r.tokens) || !inVocab(r.promptTokens)) {
    return { outcome: "garbage", detail: `complete gave ${JSON.stringify(r.tokens)} / ${typeof r.text}` };
  }
  const logits = llm.engine.model.logits.f32();
  let bad = -1;
  for (let i = 0; i < logits.length; i++) if (!Number.isFinite(logits[i])) { bad = i; break; }
  if (bad >= 0) return { outcome: "nan", detail: `logit ${bad} = ${logits[bad]} after ${r.tokens.length} tokens (finish ${r.finishReason})` };
  const text = llm.detokenize(r.tokens);
  if (typeof text !== "string") return { outcome: "garbage", detail: "detokenize did not give a string" };
  return { outcome: "ok", detail: "" };
}
