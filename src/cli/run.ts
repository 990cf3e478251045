// `budgetkv run`: generate from a prompt, streaming text, then llama.cpp-style timing lines
// (or one JSON object with --json).
import { LLM } from "../llm.ts";
import type { GenerateOptions } from "../generate/session.ts";
import type { KVOptions } from "../kv/options.ts";
import { parseFlags, usage, UsageError, type FlagSpec } from "./args.ts";
import type { CliIO } from "./io.ts";

export const MODEL_FLAGS: FlagSpec[] = [
  { names: ["-m", "--model"], key: "model", type: "string", help: "model file (GGUF, llama2.c .bin) or Hugging Face folder" },
  { names: ["-c", "--ctx-size"], key: "ctx", type: "integer", help: "context size (default: the model's)" },
  { names: ["-t", "--threads"], key: "threads", type: "integer", help: "threads for the linear layers (default 1)" },
  { names: ["--tokenizer"], key: "tokenizer", type: "string", help: "tokenizer.bin for llama2.c models (default: found beside the model)" },
  { names: ["--build"], key: "build", type: "string", help: "kernel build: auto, relaxed, simd, ts (default: BUDGETKV_BUILD, else auto)" },
];

export const KV_FLAGS: FlagSpec[] = [
  { names: ["--kv-policy"], key: "kvPolicy", type: "string", help: "KV policy: full, dbudget, nucleus, streaming, h2o, snapkv, pyramidkv, tova, knorm, random" },
  { names: ["--kv-tolerance"], key: "kvTolerance", type: "number", help: "tolerance T of adaptive policies (<= 0 keeps all)" },
  { names: ["--kv-ratio"], key: "kvRatio", type: "number", help: "fraction kept by fixed-budget policies" },
  { names: ["--kv-budget"], key: "kvBudget", type: "integer", help: "tokens kept by fixed-budget policies" },
  { names: ["--kv-sink"], key: "kvSink", type: "integer", help: "sink positions always kept" },
  { names: ["--kv-window"], key: "kvWindow", type: "integer", help: "observation window of attention-scored policies" },
  { names: ["--kv-phase"], key: "kvPhase", type: "string", help: "when to prune: prefill, decode, both" },
  { names: ["--kv-interval"], key: "kvInterval", type: "integer", help: "re-prune every N decoded tokens (decode, both)" },
];

const RUN_FLAGS: FlagSpec[] = [
  ...MODEL_FLAGS,
  { names: ["-p", "--prompt"], key: "prompt", type: "string", help: "prompt (empty: BOS alone)" },
  { names: ["-n", "--n-predict"], key: "n", type: "integer", help: "tokens to generate (default 256)" },
  { names: ["-s", "--seed"], key: "seed", type: "integer", help: "random seed" },
  { names: ["--temp"], key: "temp", type: "number", help: "temperature (0: greedy; default 0.8)" },
  { names: ["--top-k"], key: "topK", type: "integer", help: "top-k (0: off; default 40)" },
  { names: ["--top-p"], key: "topP", type: "number", help: "top-p (1: off; default 0.95)" },
  { names: ["--min-p"], key: "minP", type: "number", help: "min-p (0: off; default 0.05)" },
  { names: ["--repeat-penalty"], key: "repeatPenalty", type: "number", help: "repetition penalty (1: off)" },
  { names: ["--repeat-last-n"], key: "repeatLastN", type: "integer", help: "tokens the penalty looks back over (default 64)" },
  { names: ["--stop"], key: "stop", type: "string", help: "stop string" },
  { names: ["--json"], key: "json", type: "boolean", help: "print one JSON object instead of text" },
  { names: ["--no-display-prompt"], key: "noPrompt", type: "boolean", help: "do not echo the prompt" },
  ...KV_FLAGS,
];

export const RUN_USAGE = `budgetkv run -m MODEL [-p PROMPT] [-n N] [flags]\n${usage(RUN_FLAGS)}`;

export function kvOptions(f: Record<string, unknown>): KVOptions {
  const kv: KVOptions = {};
  if (f.kvPolicy !== undefined) kv.policy = f.kvPolicy as string;
  if (f.kvTolerance !== undefined) kv.tolerance = f.kvTolerance as number;
  if (f.kvRatio !== undefined) kv.ratio = f.kvRatio as number;
  if (f.kvBudget !== undefined) kv.budget = f.kvBudget as number;
  if (f.kvSink !== undefined) kv.sinks = f.kvSink as number;
  if (f.kvWindow !== undefined) kv.window = f.kvWindow as number;
  if (f.kvPhase !== undefined) kv.phase = f.kvPhase as KVOptions["phase"];
  if (f.kvInterval !== undefined) kv.interval = f.kvInterval as number;
  return kv;
}

export async function loadFromFlags(f: Record<string, unknown>, io?: CliIO): Promise<LLM> {
  if (typeof f.model !== "string") throw new UsageError("-m MODEL is required");
  const llm = await LLM.load(f.model, {
    contextSize: f.ctx as number | undefined,
    threads: f.threads as number | undefined,
    tokenizer: f.tokenizer as string | undefined,
    build: f.build as "auto" | undefined,
  });
  if (typeof f.threads === "number" && llm.threads < f.threads) io?.err(`budgetkv: note: -t ${f.threads}: running on ${llm.threads} thread(s) (no shared memory or worker threads here)\n`);
  return llm;
}

export async function runCommand(argv: string[], io: CliIO): Promise<void> {
  const { flags: f, rest } = parseFlags(argv, RUN_FLAGS);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const llm = await loadFromFlags(f, io);
  try {
    const opts: GenerateOptions = {
      maxTokens: (f.n as number | undefined) ?? 256,
      temperature: f.temp as number | undefined, topK: f.topK as number | undefined, topP: f.topP as number | undefined,
      minP: f.minP as number | undefined, repeatPenalty: f.repeatPenalty as number | undefined,
      repeatLastN: f.repeatLastN as number | undefined, seed: f.seed as number | undefined,
      stop: f.stop !== undefined ? [f.stop as string] : undefined,
      kv: kvOptions(f),
    };
    const prompt = (f.prompt as string | undefined) ?? "";
    if (f.json) {
      const r = await llm.complete(prompt, opts);
      const out: Record<string, unknown> = {
        text: r.text, prompt_tokens: r.promptTokens, tokens: r.tokens, finish_reason: r.finishReason,
        stats: {
          load_ms: round(llm.loadMs), prefill_ms: round(r.stats.prefillMs), prefill_tok_s: round(r.stats.prefillTokS),
          decode_ms: round(r.stats.decodeMs), decode_tok_s: round(r.stats.decodeTokS),
        },
      };
      if (r.kv) {
        out.kv = {
          policy: r.kv.policy, n_prompt: r.kv.nPrompt, kept_per_layer: r.kv.keptPerLayer, kept_ratio: round(r.kv.keptRatio, 4),
          bytes_full: r.kv.bytesFull, bytes_kept: r.kv.bytesKept, prune_ms: round(r.kv.pruneMs),
        };
      }
      io.out(JSON.stringify(out) + "\n");
      return;
    }
    if (!f.noPrompt && prompt) io.out(prompt);
    const gen = llm.generate(prompt, opts);
    for await (const piece of gen) io.out(piece);
    const r = await gen.result;
    io.out("\n");
    const s = r.stats;
    io.err(`\nbudgetkv: load time = ${fmt(llm.loadMs)} ms\n`);
    io.err(`budgetkv: prompt eval time = ${fmt(s.prefillMs)} ms / ${s.promptTokens} tokens (${fmt(s.prefillMs / s.promptTokens)} ms per token, ${fmt(s.prefillTokS)} tokens per second)\n`);
    io.err(`budgetkv:        eval time = ${fmt(s.decodeMs)} ms / ${s.generatedTokens} runs (${fmt(s.decodeMs / Math.max(1, s.generatedTokens))} ms per token, ${fmt(s.decodeTokS)} tokens per second)\n`);
    if (r.kv && r.kv.policy !== "full") {
      io.err(`budgetkv: kv ${r.kv.policy}: kept ${(100 * r.kv.keptRatio).toFixed(1)} % of ${r.kv.nPrompt} prompt tokens (${r.kv.keptPerLayer.map((k) => k.toFixed(0)).join(" ")}), ${r.kv.bytesKept} of ${r.kv.bytesFull} bytes, prune ${fmt(r.kv.pruneMs)} ms\n`);
    }
  } finally {
    llm.dispose();
  }
}

function round(x: number, d = 2): number {
  const p = 10 ** d;
  return Number.isFinite(x) ? Math.round(x * p) / p : 0;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : "n/a";
}
