// `budgetkv run`: generate from a prompt, streaming text, then llama.cpp-style timing lines
// (or one JSON object with --json).
import { LLM, MAX_THREADS } from "../llm.ts";
import { DEFAULT_MODEL } from "../default-model.ts";
import type { GenerateOptions } from "../generate/session.ts";
import type { KVOptions } from "../kv/options.ts";
import { parseFlags, usage, UsageError, type FlagSpec } from "./args.ts";
import type { CliIO } from "./io.ts";
import { loadProgressBar } from "./progress.ts";

export const MODEL_FLAGS: FlagSpec[] = [
  { names: ["-m", "--model"], key: "model", type: "string", help: `model file (GGUF, llama2.c .bin) or Hugging Face folder (default: the packaged ${DEFAULT_MODEL.name})` },
  { names: ["-c", "--ctx-size"], key: "ctx", type: "integer", option: "contextSize", help: "context size (default: the model's)" },
  { names: ["-t", "--threads"], key: "threads", type: "integer", option: "threads", help: "threads for the linear layers and attention (default 1)" },
  { names: ["--tokenizer"], key: "tokenizer", type: "string", help: "tokenizer.bin for llama2.c models (default: found beside the model)" },
  { names: ["--build"], key: "build", type: "string", help: "kernel build: auto, relaxed, simd, ts (default: BUDGETKV_BUILD, else auto)" },
];

export const KV_FLAGS: FlagSpec[] = [
  { names: ["--kv-policy"], key: "kvPolicy", type: "string", option: "kv.policy", help: "KV policy: full, dbudget, nucleus, threshold, streaming, h2o, snapkv, pyramidkv, tova, knorm, keydiff, expected-attention, criticalkv, headwise, random" },
  { names: ["--kv-type"], key: "kvType", type: "string", option: "kv.type", help: "storage of the cached K and V rows: f32 (default), f16, q8_0" },
  { names: ["--kv-residual"], key: "kvResidual", type: "integer", option: "kv.residual", help: "q8_0: the newest N rows per KV head kept in f16 until they leave this window (default 16; 0: none)" },
  { names: ["--kv-tolerance"], key: "kvTolerance", type: "number", option: "kv.tolerance", help: "tolerance T of adaptive policies (<= 0 keeps all)" },
  { names: ["--kv-ratio"], key: "kvRatio", type: "number", option: "kv.ratio", help: "fraction kept by fixed-budget policies" },
  { names: ["--kv-budget"], key: "kvBudget", type: "integer", option: "kv.budget", help: "tokens kept by fixed-budget policies" },
  { names: ["--kv-sink"], key: "kvSink", type: "integer", option: "kv.sinks", help: "sink positions always kept" },
  { names: ["--kv-window"], key: "kvWindow", type: "integer", option: "kv.window", help: "observation window of attention-scored policies" },
  { names: ["--kv-phase"], key: "kvPhase", type: "string", option: "kv.phase", help: "when to prune: prefill, turn (every chat turn), decode, both" },
  { names: ["--kv-interval"], key: "kvInterval", type: "integer", option: "kv.interval", help: "re-prune every N decoded tokens (decode, both)" },
];

export const SAMPLING_FLAGS: FlagSpec[] = [
  { names: ["-s", "--seed"], key: "seed", type: "integer", option: "seed", help: "random seed (default: a random one, printed on stderr)" },
  { names: ["--temp"], key: "temp", type: "number", option: "temperature", help: "temperature (0: greedy; default 0.8)" },
  { names: ["--top-k"], key: "topK", type: "integer", option: "topK", help: "top-k (0: off; default 40)" },
  { names: ["--top-p"], key: "topP", type: "number", option: "topP", help: "top-p (1: off; default 0.95)" },
  { names: ["--min-p"], key: "minP", type: "number", option: "minP", help: "min-p (0: off; default 0.05)" },
  { names: ["--repeat-penalty"], key: "repeatPenalty", type: "number", option: "repeatPenalty", help: "repetition penalty (1: off)" },
  { names: ["--repeat-last-n"], key: "repeatLastN", type: "integer", option: "repeatLastN", help: "tokens the penalty looks back over (default 64)" },
];

export const RUN_FLAGS: FlagSpec[] = [
  ...MODEL_FLAGS,
  { names: ["-p", "--prompt"], key: "prompt", type: "string", help: "prompt (empty: BOS alone)" },
  { names: ["-f", "--file"], key: "file", type: "string", help: "read the prompt from this file" },
  { names: ["-n", "--n-predict"], key: "n", type: "integer", option: "maxTokens", help: "tokens to generate (default 256; fewer if the context fills, unless --ctx-shift)" },
  ...SAMPLING_FLAGS,
  { names: ["--stop"], key: "stop", type: "string", option: "stop", help: "stop string" },
  { names: ["--ignore-eos"], key: "ignoreEos", type: "boolean", option: "ignoreEos", help: "never end at an end-of-generation token: generate exactly -n tokens" },
  { names: ["--json"], key: "json", type: "boolean", help: "print one JSON object instead of text" },
  { names: ["--no-display-prompt"], key: "noPrompt", type: "boolean", help: "do not echo the prompt" },
  { names: ["--ctx-shift"], key: "ctxShift", type: "boolean", help: "at the context size, prune (the KV policy, else StreamingLLM) and go on" },
  ...KV_FLAGS,
];

export const RUN_USAGE = `budgetkv run [-m MODEL] [-p PROMPT] [-n N] [flags]\n${usage(RUN_FLAGS)}`;

export function kvOptions(f: Record<string, unknown>): KVOptions {
  const kv: KVOptions = {};
  if (f.kvPolicy !== undefined) kv.policy = f.kvPolicy as string;
  if (f.kvType !== undefined) kv.type = f.kvType as KVOptions["type"];
  if (f.kvResidual !== undefined) kv.residual = f.kvResidual as number;
  if (f.kvTolerance !== undefined) kv.tolerance = f.kvTolerance as number;
  if (f.kvRatio !== undefined) kv.ratio = f.kvRatio as number;
  if (f.kvBudget !== undefined) kv.budget = f.kvBudget as number;
  if (f.kvSink !== undefined) kv.sinks = f.kvSink as number;
  if (f.kvWindow !== undefined) kv.window = f.kvWindow as number;
  if (f.kvPhase !== undefined) kv.phase = f.kvPhase as KVOptions["phase"];
  if (f.kvInterval !== undefined) kv.interval = f.kvInterval as number;
  return kv;
}

export function samplingOptions(f: Record<string, unknown>): GenerateOptions {
  return {
    temperature: f.temp as number | undefined, topK: f.topK as number | undefined, topP: f.topP as number | undefined,
    minP: f.minP as number | undefined, repeatPenalty: f.repeatPenalty as number | undefined,
    repeatLastN: f.repeatLastN as number | undefined, seed: f.seed as number | undefined,
  };
}

export async function loadFromFlags(f: Record<string, unknown>, io?: CliIO): Promise<LLM> {
  // no -m: the model shipped in the package, at the context it was trained on unless -c says otherwise
  if (f.ctx !== undefined && (f.ctx as number) < 1) throw new UsageError(`-c ${f.ctx}: the context size must be at least 1`);
  if (f.threads !== undefined && ((f.threads as number) < 1 || (f.threads as number) > MAX_THREADS)) throw new UsageError(`-t ${f.threads}: the thread count must be from 1 to ${MAX_THREADS}`);
  const own = typeof f.model === "string";
  const model = own ? (f.model as string) : DEFAULT_MODEL.url;
  const bar = io && loadProgressBar(io, own ? model : DEFAULT_MODEL.file);
  let llm: LLM;
  try {
    llm = await LLM.load(model, {
      contextSize: (f.ctx as number | undefined) ?? (own ? undefined : DEFAULT_MODEL.trainedContext),
      threads: f.threads as number | undefined,
      tokenizer: f.tokenizer as string | undefined,
      build: f.build as "auto" | undefined,
      onProgress: bar?.update,
    });
  } finally {
    bar?.done();
  }
  if (typeof f.threads === "number" && llm.threads < f.threads) io?.err(`budgetkv: note: -t ${f.threads}: running on ${llm.threads} thread(s) (no shared memory or worker threads here)\n`);
  if (typeof f.ctx === "number") {
    const made = own ? llm.config.contextLength : DEFAULT_MODEL.trainedContext;
    if (llm.contextSize < f.ctx) io?.err(`budgetkv: warning: -c ${f.ctx} clamped to ${llm.contextSize}\n`);
    else if (f.ctx > made) io?.err(`budgetkv: warning: -c ${f.ctx} is more than the ${made} positions the model was ${own ? "made" : "trained"} for; text past them may degrade\n`);
  }
  return llm;
}

export async function runCommand(argv: string[], io: CliIO): Promise<void> {
  const { flags: f, rest } = parseFlags(argv, RUN_FLAGS);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (f.prompt !== undefined && f.file !== undefined) throw new UsageError("give -p PROMPT or -f FILE, not both");
  let prompt = (f.prompt as string | undefined) ?? "";
  if (typeof f.file === "string") {
    if (!io.readText) throw new UsageError("-f FILE: this runtime cannot read files");
    prompt = await io.readText(f.file).catch((e) => { throw new UsageError(`-f ${f.file}: ${(e as Error).message}`); });
  }
  const llm = await loadFromFlags(f, io);
  try {
    // a random seed unless -s fixes one; printed so a run can be repeated
    const seed = (f.seed as number | undefined) ?? Math.floor(Math.random() * 0x100000000);
    const kv = kvOptions(f);
    if (f.ctxShift) kv.contextShift = true;
    const opts: GenerateOptions = {
      maxTokens: (f.n as number | undefined) ?? 256,
      ...samplingOptions(f), seed,
      stop: f.stop !== undefined ? [f.stop as string] : undefined,
      ignoreEos: f.ignoreEos === true,
      kv,
    };
    if (typeof f.n === "number" && !f.ctxShift) {
      const nPrompt = llm.promptTokens(prompt).length, room = llm.contextSize - nPrompt;
      if (room >= 0 && f.n > room) io.err(`budgetkv: warning: -n ${f.n} clamped to ${room}: the ${nPrompt}-token prompt leaves ${room} of the ${llm.contextSize}-token context (-c)\n`);
    }
    if (f.json) {
      const r = await llm.complete(prompt, opts);
      const out: Record<string, unknown> = {
        text: r.text, prompt_tokens: r.promptTokens, tokens: r.tokens, finish_reason: r.finishReason, seed,
        stats: {
          load_ms: round(llm.loadMs), prefill_ms: round(r.stats.prefillMs), prefill_tok_s: round(r.stats.prefillTokS),
          decode_ms: round(r.stats.decodeMs), decode_tok_s: round(r.stats.decodeTokS),
        },
      };
      if (r.kv) {
        out.kv = {
          policy: r.kv.policy, type: r.kv.type, n_prompt: r.kv.nPrompt, kept_per_layer: r.kv.keptPerLayer, kept_ratio: round(r.kv.keptRatio, 4),
          bytes_full: r.kv.bytesFull, bytes_kept: r.kv.bytesKept, prune_ms: round(r.kv.pruneMs),
          shifts: r.kv.shifts,
        };
      }
      io.out(JSON.stringify(out) + "\n");
      return;
    }
    // the seed and the prompt are printed once generation is under way, never before an error
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      io.err(`budgetkv: seed = ${seed}\n`);
      if (!f.noPrompt && prompt) io.out(prompt);
    };
    const gen = llm.generate(prompt, opts);
    for await (const piece of gen) { start(); io.out(piece); }
    const r = await gen.result;
    start();
    io.out("\n");
    const s = r.stats;
    io.err(`\nbudgetkv: load time = ${fmt(llm.loadMs)} ms\n`);
    io.err(`budgetkv: prompt eval time = ${fmt(s.prefillMs)} ms / ${s.promptTokens} tokens (${fmt(s.prefillMs / s.promptTokens)} ms per token, ${fmt(s.prefillTokS)} tokens per second)\n`);
    io.err(`budgetkv:        eval time = ${fmt(s.decodeMs)} ms / ${s.decodeRuns} runs (${fmt(s.decodeMs / Math.max(1, s.decodeRuns))} ms per token, ${fmt(s.decodeTokS)} tokens per second)\n`);
    if (r.kv?.shifts.length) io.err(`budgetkv: ${r.kv.shifts.length} context shift(s), rows kept ${r.kv.shifts.map((x) => `${x.kept.toFixed(0)} at ${x.at} (${x.policy})`).join(", ")}\n`);
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
