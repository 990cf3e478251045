// `budgetkv bench`: prefill and decode speed in the spirit of llama.cpp's llama-bench. Every
// combination of model (-m), threads (-t), KV policy (--kv-policy), prompt length (-p) and tokens
// generated (-n) is one row: prefill tokens/s, decode tokens/s (decoding after the prompt, so a
// pruned cache shows its effect at a long prompt), and memory measured after the row's last
// repetition (WebAssembly memory, the heap's high-water mark, and the KV cache's bytes).
//
// Repetitions are interleaved: for one model, prompt and generation length, repetition r runs
// every thread count and every policy before repetition r + 1, so ratios between rows (2 threads
// against 1, pruned against full) are taken side by side on a machine whose speed drifts.
// One model instance per thread count is loaded at once for that.
//
// The prompt is synthetic (BOS, then token ids spread over the vocabulary, as llama-bench
// does); decoding is greedy with end-of-generation tokens banned, so every repetition runs
// exactly -n tokens. A warm-up run checks the answer first (-n in-vocabulary tokens) and is not
// timed.
import { LLM, MAX_THREADS } from "../llm.ts";
import { DEFAULT_MODEL } from "../default-model.ts";
import type { KVOptions } from "../kv/options.ts";
import { KVController } from "../kv/controller.ts";
import { summarize, type Summary } from "../util/stats.ts";
import { VERSION } from "../version.ts";
import { KV_FLAGS, kvOptions } from "./run.ts";
import { parseFlags, usage, UsageError, type FlagSpec } from "./args.ts";
import type { CliIO } from "./io.ts";

const FLAGS: FlagSpec[] = [
  { names: ["-m", "--model"], key: "model", type: "list", help: `model files or folders, comma-separated or repeated (default: the packaged ${DEFAULT_MODEL.name})` },
  { names: ["-p", "--n-prompt"], key: "p", type: "list", help: "prompt lengths in tokens (default 128)" },
  { names: ["-n", "--n-gen"], key: "n", type: "list", help: "tokens generated after each prompt (default 32; 0: prefill only)" },
  { names: ["-t", "--threads"], key: "t", type: "list", help: "thread counts, or auto (default 1)" },
  { names: ["-r", "--repetitions"], key: "r", type: "integer", help: "timed repetitions per row (default 5)" },
  { names: ["-c", "--ctx-size"], key: "ctx", type: "integer", help: "context size (default: the longest prompt plus generation)" },
  { names: ["--tokenizer"], key: "tokenizer", type: "string", help: "tokenizer.bin for llama2.c models (default: found beside the model)" },
  { names: ["--build"], key: "build", type: "string", help: "kernel build: auto, relaxed, simd, ts (default: BUDGETKV_BUILD, else auto)" },
  { names: ["-o", "--output"], key: "output", type: "string", help: "table (default), csv or json" },
  { names: ["--json"], key: "json", type: "boolean", help: "same as -o json" },
  { names: ["--csv"], key: "csv", type: "boolean", help: "same as -o csv" },
  { names: ["-q", "--quiet"], key: "quiet", type: "boolean", help: "no progress lines on stderr" },
  { ...KV_FLAGS[0], type: "list", help: "KV policies to compare, e.g. full,snapkv (default full); the --kv-* options below apply to every policy but full" },
  ...KV_FLAGS.slice(1),
];

export const BENCH_USAGE = `budgetkv bench [-m MODEL,...] [-p 128,512] [-n 32] [-t 1,2] [-r 5] [--kv-policy full,snapkv --kv-ratio 0.25] [-o table|csv|json]\n${usage(FLAGS)}`;

export interface BenchRow {
  model: string;             // the file's name, without its folder
  model_path: string;        // as given to -m
  params: number;            // parameters in the model's tensors
  build: string;             // the kernel build that ran
  threads_asked: number | "auto";
  threads: number;           // threads the model ran on
  kv_policy: string;
  n_prompt: number;
  n_gen: number;
  reps: number;
  load_ms: number;           // LLM.load of this instance (file read, header, weights, threads)
  prefill_tok_s: Summary;    // over the repetitions
  decode_tok_s: Summary | null;   // null when n_gen is 0
  kv_bytes: number;          // heap bytes the KV cache held at the last decode step (measured)
  kv_kept_ratio: number;     // the policy's kept ratio after its last prune (1: full cache)
  wasm_memory_bytes: number; // size of the WebAssembly memory after the row
  heap_peak_bytes: number;   // most heap bytes in use at once during the row
}

export interface BenchReport {
  budgetkv: string;
  reps: number;
  rows: BenchRow[];
}

interface Plan {
  models: string[]; prompts: number[]; gens: number[]; threads: (number | "auto")[]; policies: string[];
  reps: number; ctx?: number; kv: KVOptions; tokenizer?: string; build?: string;
}

function ints(flag: string, v: string[] | undefined, def: number[], min: number): number[] {
  if (!v) return def;
  return v.map((s) => {
    const x = Number(s);
    if (s.trim() === "" || !Number.isInteger(x) || x < min) throw new UsageError(`${flag} "${s}": expected an integer >= ${min}`);
    return x;
  });
}

export function benchPlan(argv: string[]): Plan & { output: "table" | "csv" | "json"; quiet: boolean } {
  const { flags: f, rest } = parseFlags(argv, FLAGS);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const list = (k: string) => f[k] as string[] | undefined;
  const threads = (list("t") ?? ["1"]).map((s): number | "auto" => {
    if (s === "auto") return "auto";
    const x = Number(s);
    if (s.trim() === "" || !Number.isInteger(x) || x < 1 || x > MAX_THREADS) throw new UsageError(`-t "${s}": the thread count must be auto or an integer from 1 to ${MAX_THREADS}`);
    return x;
  });
  const reps = (f.r as number | undefined) ?? 5;
  if (reps < 1) throw new UsageError(`-r ${reps}: at least 1 repetition`);
  if (f.ctx !== undefined && (f.ctx as number) < 2) throw new UsageError(`-c ${f.ctx}: the context size must be at least 2`);
  const output = f.json ? "json" : f.csv ? "csv" : ((f.output as string | undefined) ?? "table");
  if (output !== "table" && output !== "csv" && output !== "json") throw new UsageError(`-o "${output}": expected table, csv or json`);
  const kv = kvOptions({ ...f, kvPolicy: undefined });
  return {
    models: list("model") ?? [DEFAULT_MODEL.url],
    prompts: ints("-p", list("p"), [128], 1),
    gens: ints("-n", list("n"), [32], 0),
    threads, reps, kv, output, quiet: f.quiet === true,
    policies: list("kvPolicy") ?? ["full"],
    ctx: f.ctx as number | undefined, tokenizer: f.tokenizer as string | undefined, build: f.build as string | undefined,
  };
}

// the synthetic prompt: BOS (when the tokenizer has one), then ids spread over the vocabulary
function promptIds(llm: LLM, n: number): number[] {
  const V = Math.min(llm.config.vocabSize, llm.tokenizer.vocabSize), bos = llm.tokenizer.bos;
  return Array.from({ length: n }, (_, i) => (i === 0 && bos !== undefined ? bos : (3 + i * 7919) % V));
}

function paramCount(llm: LLM): number {
  let n = 0;
  for (const t of llm.file.tensors.values()) n += t.shape.reduce((a, b) => a * b, 1);
  return n;
}

// Runs the plan and returns its rows; progress lines go to `progress`.
export async function runBench(plan: Plan, progress?: (line: string) => void): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  for (const policy of plan.policies) KVController.check(kvFor(plan, policy));   // bad options fail before any load
  for (const model of plan.models) {
    const ctx = plan.ctx ?? Math.max(...plan.prompts) + Math.max(...plan.gens);
    const llms: LLM[] = [];
    try {
      for (const t of plan.threads) {
        llms.push(await LLM.load(model, { contextSize: ctx, threads: t, tokenizer: plan.tokenizer, build: plan.build as "auto" | undefined }));
      }
      for (const nPrompt of plan.prompts) for (const nGen of plan.gens) {
        if (nPrompt + nGen > llms[0].contextSize) throw new UsageError(`-p ${nPrompt} -n ${nGen}: ${nPrompt + nGen} tokens do not fit the context size ${llms[0].contextSize} (-c)`);
        const cells = llms.flatMap((llm, i) => plan.policies.map((policy) => ({ llm, asked: plan.threads[i], policy, pp: [] as number[], tg: [] as number[], kvBytes: 0, kept: 1 })));
        for (const c of cells) await warmUp(c.llm, nPrompt, nGen, kvFor(plan, c.policy));
        for (const c of cells) c.llm.rt.heap.resetPeak();
        for (let r = 0; r < plan.reps; r++) {
          for (const c of cells) {
            const last = Math.max(0, nGen - 1);
            const res = await c.llm.complete({ tokens: promptIds(c.llm, nPrompt) }, {
              maxTokens: nGen, temperature: 0, ignoreEos: true, kv: kvFor(plan, c.policy),
              onStep: (s) => { if (s.generated === last) c.kvBytes = s.layers().reduce((a, l) => a + l.bytes, 0); },
            });
            c.pp.push(res.stats.prefillTokS);
            if (nGen > 0) c.tg.push(res.stats.decodeTokS);
            c.kept = res.kv?.keptRatio ?? 1;
          }
        }
        for (const c of cells) {
          const stats = c.llm.rt.heap.stats;
          const row: BenchRow = {
            model: c.llm.file.name.split(/[\\/]/).pop()!, model_path: c.llm.file.name, params: paramCount(c.llm), build: c.llm.rt.build, threads_asked: c.asked, threads: c.llm.threads,
            kv_policy: c.policy, n_prompt: nPrompt, n_gen: nGen, reps: plan.reps, load_ms: c.llm.loadMs,
            prefill_tok_s: summarize(c.pp), decode_tok_s: nGen > 0 ? summarize(c.tg) : null,
            kv_bytes: c.kvBytes, kv_kept_ratio: c.kept, wasm_memory_bytes: stats.memoryBytes, heap_peak_bytes: stats.peakBytesInUse,
          };
          rows.push(row);
          progress?.(`bench: ${row.model} t=${row.threads} kv=${row.kv_policy} pp${nPrompt}: ${row.prefill_tok_s.median.toFixed(1)} tok/s` +
            (row.decode_tok_s ? `, tg${nGen}: ${row.decode_tok_s.median.toFixed(1)} tok/s` : "") + `, kv ${kib(row.kv_bytes)} KiB`);
        }
      }
    } finally {
      for (const l of llms) l.dispose();
    }
  }
  return { budgetkv: VERSION, reps: plan.reps, rows };
}

function kvFor(plan: Plan, policy: string): KVOptions {
  return policy === "full" ? { policy } : { ...plan.kv, policy };
}

// the answer first: one untimed run must give exactly nGen in-vocabulary tokens
async function warmUp(llm: LLM, nPrompt: number, nGen: number, kv: KVOptions): Promise<void> {
  const res = await llm.complete({ tokens: promptIds(llm, nPrompt) }, { maxTokens: nGen, temperature: 0, ignoreEos: true, kv });
  const V = llm.config.vocabSize;
  if (res.tokens.length !== nGen || res.tokens.some((t) => !(t >= 0 && t < V))) {
    throw new Error(`${llm.file.name}: the warm-up run gave ${res.tokens.length} tokens (${res.finishReason}), expected ${nGen} in-vocabulary tokens`);
  }
}

const kib = (b: number) => (b / 1024).toFixed(1);
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const ts = (s: Summary | null) => (s ? `${s.mean.toFixed(2)} ± ${s.stddev.toFixed(2)}` : "-");
const si = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(2)} K`);

const COLUMNS = ["model", "params", "build", "threads", "kv", "test", "pp t/s", "tg t/s", "kv KiB", "wasm MiB", "heap peak MiB"] as const;

function cells(r: BenchRow): string[] {
  const test = r.n_gen > 0 ? `pp${r.n_prompt}+tg${r.n_gen}` : `pp${r.n_prompt}`;
  return [r.model, si(r.params), r.build, String(r.threads), r.kv_policy, test, ts(r.prefill_tok_s), ts(r.decode_tok_s), kib(r.kv_bytes), mib(r.wasm_memory_bytes), mib(r.heap_peak_bytes)];
}

// a Markdown table, as llama-bench prints (tokens/s as mean ± standard deviation)
export function formatTable(rep: BenchReport): string {
  const body = rep.rows.map(cells);
  const w = COLUMNS.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
  const line = (c: readonly string[]) => `| ${c.map((x, i) => (i < 6 ? x.padEnd(w[i]) : x.padStart(w[i]))).join(" | ")} |`;
  return [line(COLUMNS), `| ${w.map((n, i) => (i < 6 ? "-".repeat(n) : "-".repeat(n - 1) + ":")).join(" | ")} |`, ...body.map(line)].join("\n") + "\n";
}

// one line per row; tokens/s as mean, standard deviation and median
export function formatCsv(rep: BenchReport): string {
  const head = ["model", "params", "build", "threads", "kv_policy", "n_prompt", "n_gen", "reps", "load_ms",
    "prefill_tok_s_mean", "prefill_tok_s_stddev", "prefill_tok_s_median", "decode_tok_s_mean", "decode_tok_s_stddev", "decode_tok_s_median",
    "kv_bytes", "kv_kept_ratio", "wasm_memory_bytes", "heap_peak_bytes"];
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = rep.rows.map((r) => [q(r.model), r.params, r.build, r.threads, q(r.kv_policy), r.n_prompt, r.n_gen, r.reps, r.load_ms.toFixed(1),
    r.prefill_tok_s.mean, r.prefill_tok_s.stddev, r.prefill_tok_s.median, r.decode_tok_s?.mean ?? "", r.decode_tok_s?.stddev ?? "", r.decode_tok_s?.median ?? "",
    r.kv_bytes, r.kv_kept_ratio, r.wasm_memory_bytes, r.heap_peak_bytes].join(","));
  return [head.join(","), ...lines].join("\n") + "\n";
}

export async function benchCommand(argv: string[], io: CliIO): Promise<void> {
  const plan = benchPlan(argv);
  const rep = await runBench(plan, plan.quiet ? undefined : (l) => io.err(l + "\n"));
  io.out(plan.output === "json" ? JSON.stringify(rep, null, 2) + "\n" : plan.output === "csv" ? formatCsv(rep) : formatTable(rep));
}
