// `budgetkv eval`: every KV policy against the full cache on the user's own model and text.
import { readFile, stat, writeFile } from "node:fs/promises";
import { POLICIES } from "../kv/registry.ts";
import { KV_TYPES, type KVType, checkResidual } from "../kv/kv-type.ts";
import { Evaluator, compareToCurves, type PolicyResult, type PolicyRun } from "../eval/evaluate.ts";
import { PROMPT_ENDS, retrievalPrompts, textPrompts, type EvalPrompt, type PromptEnd } from "../eval/prompts.ts";
import { cheapest, cheapestLine } from "../eval/summary.ts";
import { tradeoffSvg } from "../eval/svg.ts";
import { MODEL_FLAGS, loadFromFlags } from "./run.ts";
import { parseFlags, usage, UsageError, type FlagSpec } from "./args.ts";
import type { CliIO } from "./io.ts";

const FLAGS: FlagSpec[] = [
  ...MODEL_FLAGS,
  { names: ["--data"], key: "data", type: "string", help: "text file the prompts are cut from" },
  { names: ["--prompts"], key: "prompts", type: "integer", help: "number of prompts (default 120)" },
  { names: ["--prompt-tokens"], key: "promptTokens", type: "string", help: "prompt length L or range LO-HI (default 96-436, clamped to the context)" },
  { names: ["--cont-tokens"], key: "contTokens", type: "integer", help: "teacher-forced continuation tokens (default 40)" },
  { names: ["--gen-tokens"], key: "genTokens", type: "integer", help: "greedy tokens compared with the full cache (default 32)" },
  { names: ["--policies"], key: "policies", type: "string", help: "e.g. full,dbudget,nucleus,streaming:0.5,snapkv:0.5,0.6,0.7 (a number after a fixed policy is a ratio, after an adaptive one a tolerance); options after /: nucleus/perHead=true:0.01, headwise/scorer=nucleus:0.01, nucleus/exemptLayers=0+1" },
  { names: ["--prompt-end"], key: "promptEnd", type: "string", help: "where prompts end: sentence (default), paragraph, or token (at the token count, mostly mid-sentence)" },
  { names: ["--first"], key: "first", type: "integer", help: "--task retrieval: index of the first case (default 0; to split a run into parts)" },
  { names: ["--task"], key: "task", type: "string", help: "text (default), retrieval, or long: the full cache's greedy continuation (--gen-tokens, default 256) teacher-forced under pruning during decode" },
  { names: ["--interval"], key: "interval", type: "integer", help: "--task long: prune after the prompt and every N decoded tokens (default 32)" },
  { names: ["--kv-types"], key: "kvTypes", type: "string", help: "KV row types to run every policy at, e.g. f32,f16,q8_0,q8_0/residual=0 (default f32; q8_0/residual=N keeps the newest N rows per KV head in f16, default 16); all are compared with the f32 full cache" },
  { names: ["--target-top1"], key: "targetTop1", type: "number", help: "summary line: the cheapest setting with top-1 >= this (default 0.99)" },
  { names: ["--json"], key: "json", type: "boolean", help: "print one JSON object" },
  { names: ["--svg"], key: "svg", type: "string", help: "write the kept-ratio / top-1 trade-off plot here" },
];
export const EVAL_USAGE = `budgetkv eval [-m MODEL] --data FILE [--prompts N] [--prompt-tokens L] [--prompt-end E] [--task T] [--gen-tokens G] --policies LIST [--kv-types LIST] [--json] [--svg FILE]\n${usage(FLAGS)}`;

// every run at every KV type of "f32,f16,q8_0" (labels get "@type"); a type may carry the residual
// window, "q8_0/residual=16" (label "@q8_0/residual=16"); undefined: the runs as given (f32)
export function withKVTypes(runs: PolicyRun[], spec: string | undefined): PolicyRun[] {
  if (spec === undefined) return runs;
  const types = spec.split(",").map((s) => s.trim()).filter(Boolean);
  if (!types.length) throw new UsageError("--kv-types: expected a list such as f32,f16,q8_0");
  if (new Set(types).size !== types.length) throw new UsageError(`--kv-types: "${spec}" names a type twice`);
  const kvs = types.map((spec1) => {
    const [t, ...opts] = spec1.split("/");
    if (!KV_TYPES.includes(t as KVType)) throw new UsageError(`--kv-types: unknown KV type "${t}" (known: ${KV_TYPES.join(", ")})`);
    const kv: { type: KVType; residual?: number } = { type: t as KVType };
    for (const o of opts) {
      const m = /^residual=(\d+)$/.exec(o);
      if (!m) throw new UsageError(`--kv-types: "${spec1}": unknown option "${o}" (known: residual=N)`);
      try { kv.residual = checkResidual(Number(m[1]), kv.type); } catch (e) { throw new UsageError(`--kv-types: "${spec1}": ${(e as Error).message}`); }
    }
    return { label: spec1, kv };
  });
  return kvs.flatMap((k) => runs.map((r) => ({ ...r, label: `${r.label}@${k.label}`, kv: { ...r.kv, ...k.kv } })));
}

// "full,dbudget,streaming:0.5,snapkv:0.5,0.6" -> runs. A policy may carry options after "/":
// "nucleus/perHead=true/window=16:0.01", "headwise/scorer=nucleus:0.01,0.005",
// "nucleus/exemptLayers=0+1" (a list joined by "+"; "none" for an empty list). The label and the
// family are the name with its options.
export function parsePolicies(spec: string): PolicyRun[] {
  const runs: PolicyRun[] = [];
  let last: string | undefined;
  for (const raw of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    let named: string, value: string | undefined;
    if (/^[-+]?[0-9.eE+-]+$/.test(raw)) {
      if (!last) throw new UsageError(`--policies: "${raw}" has no policy before it`);
      named = last; value = raw;
    } else {
      [named, value] = raw.split(":");
    }
    const [name, ...parts] = named.split("/");
    const f = POLICIES.get(name);
    if (!f) throw new UsageError(`--policies: unknown KV policy "${name}" (known: ${[...POLICIES.keys()].join(", ")})`);
    last = named;
    const param = value === undefined ? undefined : Number(value);
    if (value !== undefined && !Number.isFinite(param)) throw new UsageError(`--policies: "${value}" is not a number`);
    if (name === "full") { runs.push({ label: "full", family: "full", adaptive: false, kv: { policy: "full" } }); continue; }
    const opts = policyOptions(named, parts);
    const wrapped = typeof opts.scorer === "string" ? POLICIES.get(opts.scorer) : undefined;
    // a single layer for a list option ("exemptLayers=1")
    for (const [k, v] of Object.entries(opts)) if (typeof v === "number" && (f.options[k] ?? wrapped?.options[k])?.type === "integers") opts[k] = [v];
    let adaptive: boolean;
    try {
      adaptive = f.create(opts).adaptive;
    } catch (e) {
      throw new UsageError(`--policies: ${named}: ${(e as Error).message}`);
    }
    // a wrapper's defaults may live in the policy it wraps (headwise over nucleus: its tolerance)
    const fallback = (k: string) => { const v = opts[k] ?? f.defaults[k] ?? wrapped?.defaults[k]; return typeof v === "number" ? v : undefined; };
    const shown = param ?? fallback(adaptive ? "tolerance" : "ratio");
    const kv = { policy: name, ...opts, [adaptive ? "tolerance" : "ratio"]: shown };
    runs.push({ label: `${named}:${shown}`, family: named, adaptive, param: shown, kv });
  }
  if (!runs.some((r) => r.family === "full")) runs.unshift({ label: "full", family: "full", adaptive: false, kv: { policy: "full" } });
  return runs;
}

// ["perHead=true", "window=16", "exemptLayers=0+1"] -> { perHead: true, window: 16, exemptLayers: [0, 1] }
function policyOptions(named: string, parts: string[]): Record<string, unknown> {
  const opts: Record<string, unknown> = {};
  for (const part of parts) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(part);
    if (!m) throw new UsageError(`--policies: ${named}: "${part}" is not KEY=VALUE`);
    const v = m[2];
    if (m[1] in opts) throw new UsageError(`--policies: ${named}: option ${m[1]} given twice`);
    if (v === "true" || v === "false") opts[m[1]] = v === "true";
    else if (v === "none") opts[m[1]] = [];
    else if (/^[0-9]+(\+[0-9]+)+$/.test(v)) opts[m[1]] = v.split("+").map(Number);
    else if (v !== "" && Number.isFinite(Number(v))) opts[m[1]] = Number(v);
    else opts[m[1]] = v;
  }
  return opts;
}

export async function evalCommand(argv: string[], io: CliIO): Promise<void> {
  const { flags: f, rest } = parseFlags(argv, FLAGS);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (typeof f.data !== "string") throw new UsageError("--data FILE is required");
  const runs = withKVTypes(parsePolicies((f.policies as string | undefined) ?? "full,dbudget,nucleus,streaming:0.5,0.7,0.9,snapkv:0.5,0.7,0.9"), f.kvTypes as string | undefined);
  const st = await stat(f.data).catch(() => undefined);
  if (!st?.isFile()) throw new Error(`cannot read --data ${f.data}: ${st ? "not a regular file" : "no such file"}`);
  const text = await readFile(f.data, "utf8").catch(() => { throw new Error(`cannot read --data ${f.data}`); });
  const nPrompts = (f.prompts as number | undefined) ?? 120;
  const task = (f.task as string | undefined) ?? "text";
  if (task !== "text" && task !== "retrieval" && task !== "long") throw new UsageError(`--task "${task}": expected text, retrieval or long`);
  const long = task === "long";
  const gen = (f.genTokens as number | undefined) ?? (long ? 256 : 32);
  const cont = long ? gen : (f.contTokens as number | undefined) ?? 40;
  if (nPrompts < 1 || cont < 1 || gen < 1) throw new UsageError("--prompts, --cont-tokens and --gen-tokens must be >= 1");
  if (f.first !== undefined && ((f.first as number) < 0 || task !== "retrieval")) throw new UsageError(`--first ${f.first}: only with --task retrieval, and >= 0`);
  const end = ((f.promptEnd as string | undefined) ?? "sentence") as PromptEnd;
  if (!PROMPT_ENDS.includes(end)) throw new UsageError(`--prompt-end "${end}": expected ${PROMPT_ENDS.join(", ")}`);
  const target = (f.targetTop1 as number | undefined) ?? 0.99;
  if (!(target > 0 && target <= 1)) throw new UsageError(`--target-top1 ${target}: expected a number in (0, 1]`);
  const interval = (f.interval as number | undefined) ?? 32;
  if (long) for (const r of runs) if (r.family !== "full") Object.assign(r.kv, { phase: "both", interval });
  const llm = await loadFromFlags(f, io);
  try {
    const maxLen = llm.contextSize - Math.max(cont, gen) - 1;
    const [lo, hi] = parseRange((f.promptTokens as string | undefined) ?? "96-436", maxLen);
    const { rt, model } = llm.engine;
    const ev = new Evaluator(rt, model, gen, (ids) => llm.detokenize(ids));
    let prompts: EvalPrompt[];
    if (task === "retrieval") prompts = retrievalPrompts(text, llm.tokenizer, nPrompts, hi, (f.first as number | undefined) ?? 0);
    else if (!long) prompts = textPrompts(text, llm.tokenizer, nPrompts, lo, hi, cont, end);
    // long: the continuation compared against is the full cache's own greedy generation
    else prompts = textPrompts(text, llm.tokenizer, nPrompts, lo, hi, 1, end).map((p) => ({ tokens: p.tokens, continuation: ev.greedy({ policy: "full" }, p, gen).tokens }));
    const t0 = Date.now();
    const refs = prompts.map((p) => ev.reference(p));
    const results: PolicyResult[] = [];
    for (const r of runs) {
      results.push(ev.run(r, prompts, refs));
      if (!f.json) io.err(`eval: ${r.label} done (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    }
    compareToCurves(results);
    const lens = prompts.map((p) => p.tokens.length);
    const summary = {
      model: llm.file.name, data: f.data, task, prompt_end: task === "retrieval" ? undefined : end, prompts: prompts.length,
      prompt_tokens: { min: Math.min(...lens), max: Math.max(...lens), mean: lens.reduce((a, b) => a + b, 0) / lens.length },
      cont_tokens: cont, gen_tokens: gen, ...(long ? { interval } : {}), policies: results,
      cheapest: cheapest(results, target),
    };
    if (f.svg) await writeFile(f.svg as string, tradeoffSvg(results, `${llm.file.name}: ${prompts.length} prompts, ${cont} teacher-forced tokens`, target));
    if (f.json) {
      const c = summary.cheapest, json = { ...summary, cheapest: { target, best: c.best?.name, best_adaptive: c.bestAdaptive?.name, curves: c.curves } };
      io.out(JSON.stringify(json, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
      return;
    }
    const where = task === "retrieval" ? "" : `, ending at a ${end === "token" ? "token count" : end + " end"}`;
    io.out(`${summary.model}: ${prompts.length} prompts of ${summary.prompt_tokens.min}-${summary.prompt_tokens.max} tokens${where}, ${cont} teacher-forced, ${gen} greedy${long ? `, pruned after the prompt and every ${interval} decoded tokens` : ""}\n`);
    const ret = task === "retrieval";
    io.out(`${"policy".padEnd(22)} ${"kept".padStart(6)} ${"bytes".padStart(6)} ${"top1".padStart(6)} ${"KL mean".padStart(9)} ${"KL max".padStart(8)} ${"greedy=".padStart(8)} ${"ppl".padStart(8)} ${"ppl full".padStart(8)}${ret ? `${"found".padStart(7)} ${"needle".padStart(7)}` : ""}  vs fixed curves\n`);
    for (const r of results) {
      const vs = r.vs_curve ? Object.entries(r.vs_curve).map(([k, v]) => `${k} ${Number.isFinite(v) ? (v >= 0 ? "+" : "") + v.toFixed(3) : "n/a"}`).join(", ") : "";
      io.out(`${r.name.padEnd(22)} ${r.kept_ratio.toFixed(3).padStart(6)} ${r.bytes_ratio.toFixed(3).padStart(6)} ${r.top1_agreement.toFixed(3).padStart(6)} ${r.kl_mean.toExponential(2).padStart(9)} ${r.kl_max.toFixed(3).padStart(8)} ${(100 * r.greedy_identical).toFixed(0).padStart(7)}% ${r.ppl.toFixed(3).padStart(8)} ${r.ppl_full.toFixed(3).padStart(8)}${ret ? `${pct(r.retrieval_accuracy).padStart(7)} ${pct(r.needle_kept).padStart(7)}` : ""}  ${vs}\n`);
    }
    io.out(cheapestLine(summary.model, summary.cheapest) + "\n");
  } finally {
    llm.dispose();
  }
}

const pct = (x: number | undefined) => (x === undefined ? "n/a" : `${(100 * x).toFixed(1)}%`);

export function parseRange(s: string, maxLen: number): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new UsageError(`--prompt-tokens "${s}": expected L or LO-HI`);
  let lo = Number(m[1]), hi = Number(m[2] ?? m[1]);
  if (hi > maxLen) hi = maxLen;
  if (lo > hi) lo = Math.max(2, Math.floor(hi / 2));
  if (lo < 2) throw new UsageError(`--prompt-tokens "${s}": prompts need at least 2 tokens`);
  return [lo, hi];
}
