// The mutation fuzzer: `npm run fuzz -- --cases N --seed S [--first I] [--jobs J] [--timeout MS] [--out DIR]`
// (cases I .. I+N-1 of seed S: each case's mutations depend only on S and its index)
// or `npm run fuzz -- --replay '{"target":...,"ops":[...]}' [--out DIR]`.
// Cases run in worker threads (one runtime each, shared by its cases) so that a case that hangs
// can be stopped: past the time limit the worker is terminated, the case counted as a hang, and a
// new worker started. Prints counts per outcome and format, and one minimal reproducer per
// distinct failure (ops removed while the failure stays the same). Exits 1 on any crash, hang,
// oom, nan, garbage or leak; 2 on a usage error; 3 when the harness itself failed (its counts so
// far are printed).
import { Worker, isMainThread, parentPort } from "node:worker_threads";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../helpers/rand.ts";
import { buildCorpus, type Target } from "./corpus.ts";
import { applyOps, randomCase, type Case } from "./mutate.ts";
import { OUTCOMES, runCase, type CaseResult, type Outcome } from "./run-case.ts";
import { createRuntime } from "../../src/wasm/runtime.ts";

const FAILURES: readonly Outcome[] = ["crash", "hang", "oom", "nan", "garbage", "leak"];

// ---- worker side ----
async function workerMain(): Promise<void> {
  const { targets } = await buildCorpus();
  const byName = new Map(targets.map((t) => [t.name, t]));
  const rt = await createRuntime({ build: "auto", shared: false });
  parentPort!.on("message", async (c: Case) => {
    const t = byName.get(c.target)!;
    const r = await runCase(rt, t, applyOps(t, c.ops));
    parentPort!.postMessage(r);
  });
  parentPort!.postMessage("ready");
}

// ---- main side ----
class Runner {
  private w: Worker | undefined;
  constructor(private readonly timeout: number) {}

  private async start(): Promise<Worker> {
    const w = new Worker(new URL(import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 2048 } });
    await new Promise<void>((res, rej) => {
      w.once("message", () => res());
      w.once("error", rej);
    });
    return w;
  }

  // A case past the time limit is run again with 4x the limit before it counts as a hang, so a
  // machine busy with other work does not make slow cases look like hangs.
  async run(c: Case): Promise<CaseResult> {
    const r = await this.runOnce(c, this.timeout);
    if (r.outcome !== "hang") return r;
    const again = await this.runOnce(c, 4 * this.timeout);
    return again.outcome === "hang" ? { ...again, detail: `no answer within ${this.timeout} ms, nor within ${4 * this.timeout} ms on a second try` } : again;
  }

  private async runOnce(c: Case, timeout: number): Promise<CaseResult> {
    this.w ??= await this.start();
    const w = this.w;
    const t0 = performance.now();
    return new Promise<CaseResult>((resolve) => {
      const done = (r: CaseResult, kill: boolean) => {
        clearTimeout(timer);
        w.removeAllListeners("message");
        w.removeAllListeners("error");
        w.removeAllListeners("exit");
        if (kill) { void w.terminate(); this.w = undefined; }
        resolve(r);
      };
      const timer = setTimeout(() => done({ outcome: "hang", detail: `no answer within ${timeout} ms`, ms: performance.now() - t0 }, true), timeout);
      w.once("message", (r: CaseResult) => done(r, false));
      w.once("error", (e: Error) => {
        const oom = /ERR_WORKER_OUT_OF_MEMORY|out of memory/i.test(`${(e as { code?: string }).code} ${e.message}`);
        done({ outcome: oom ? "oom" : "crash", detail: `worker died: ${e.name}: ${e.message}`, ms: performance.now() - t0 }, true);
      });
      w.once("exit", (code) => done({ outcome: "crash", detail: `worker exited with code ${code}`, ms: performance.now() - t0 }, true));
      w.postMessage(c);
    });
  }

  stop(): void { void this.w?.terminate(); this.w = undefined; }
}

// what makes two failures "the same": outcome, error type and message with numbers and quoted
// values blanked (so one bug found through many values is listed once)
function signature(r: CaseResult): string {
  const first = r.detail.split("\n")[0];
  if (r.outcome === "hang") return "hang";
  return `${r.outcome}: ${first.replace(/"[^"]*"/g, "\"…\"").replace(/-?\d[\d.e+-]*/g, "N").slice(0, 160)}`;
}

async function minimize(runner: Runner, c: Case, sig: string): Promise<Case> {
  let cur = c;
  for (let i = 0; i < cur.ops.length && cur.ops.length > 1;) {
    const trial = { target: cur.target, ops: cur.ops.filter((_, j) => j !== i) };
    const r = await runner.run(trial);
    if (signature(r) === sig) cur = trial; else i++;
  }
  return cur;
}

interface Args { first: number; cases: number; seed: number; jobs: number; timeout: number; out?: string; replay?: Case; only?: string; quiet: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { first: 0, cases: 1000, seed: 1, jobs: 1, timeout: 5000, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    const num = () => { const x = Number(v); if (!Number.isSafeInteger(x) || x < 0) usage(`${k}: "${v}" is not a non-negative integer`); i++; return x; };
    switch (k) {
      case "--cases": a.cases = num(); break;
      case "--seed": a.seed = num(); break;
      case "--first": a.first = num(); break;
      case "--jobs": a.jobs = Math.max(1, num()); break;
      case "--timeout": a.timeout = Math.max(1, num()); break;
      case "--out": a.out = v; i++; break;
      case "--format": a.only = v; i++; break;
      case "--quiet": a.quiet = true; break;
      case "--replay": try { a.replay = JSON.parse(v); } catch { usage("--replay: not a JSON case"); } i++; break;
      default: usage(`unknown argument ${k}`);
    }
  }
  return a;
}

function usage(msg: string): never {
  process.stderr.write(`fuzz: ${msg}\nusage: npm run fuzz -- [--cases N] [--seed S] [--first I] [--jobs J] [--timeout MS] [--format gguf|llama2c|hf] [--out DIR] [--quiet] | --replay CASE_JSON\n`);
  process.exit(2);
}

function writeCase(dir: string, label: string, t: Target, c: Case): void {
  const d = join(dir, label);
  mkdirSync(d, { recursive: true });
  for (const [name, b] of applyOps(t, c.ops)) writeFileSync(join(d, name), b);
  writeFileSync(join(d, "case.json"), JSON.stringify(c, null, 1) + "\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { targets, missing } = await buildCorpus();
  if (missing.length) {
    const msg = `fuzz: shared models missing (${missing.join(", ")}): fuzzing the written tiny models only`;
    if (process.env.CI === "true") { process.stderr.write(msg + " (CI needs them)\n"); process.exit(1); }
    process.stderr.write(msg + "\n");
  }
  const byName = new Map(targets.map((t) => [t.name, t]));
  if (args.replay) {
    const t = byName.get(args.replay.target);
    if (!t) usage(`--replay: unknown target ${args.replay.target} (${[...byName.keys()].join(", ")})`);
    const r = await new Runner(args.timeout).run(args.replay);
    console.log(`${r.outcome} (${r.ms.toFixed(0)} ms): ${r.detail}`);
    if (args.out) writeCase(args.out, "replay", t, args.replay);
    process.exit(FAILURES.includes(r.outcome) ? 1 : 0);
  }
  const pool = targets.filter((t) => !args.only || t.format === args.only);
  if (!pool.length) usage(`--format ${args.only}: no targets`);
  const runners = Array.from({ length: args.jobs }, () => new Runner(args.timeout));
  const counts = new Map<string, Record<Outcome, number>>();
  const zero = () => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const firsts = new Map<string, { c: Case; r: CaseResult; index: number; n: number }>();
  const t0 = performance.now();
  let next = 0, done = 0, slowest = 0;
  let harnessError: string | undefined;
  const work = async (runner: Runner) => {
    for (;;) {
      const i = args.first + next++;
      if (i >= args.first + args.cases) return;
      const c = randomCase(new Rng((args.seed * 1_000_003 + i) >>> 0), pool);
      let r: CaseResult;
      try {
        r = await runner.run(c);
      } catch (e) {
        // the harness itself failed (a worker that cannot start, e.g. the machine out of memory):
        // stop taking cases and print the counts so far, rather than die without them
        harnessError ??= `case ${i}: ${(e as Error)?.message ?? e}`;
        next = args.cases;
        return;
      }
      const fmt = byName.get(c.target)!.format;
      if (!counts.has(fmt)) counts.set(fmt, zero());
      counts.get(fmt)![r.outcome]++;
      slowest = Math.max(slowest, r.ms);
      if (FAILURES.includes(r.outcome)) {
        const sig = signature(r);
        const f = firsts.get(sig);
        if (f) f.n++; else firsts.set(sig, { c, r, index: i, n: 1 });
      }
      // the progress line carries the counts so far, so a run killed without a chance to print
      // its table (SIGKILL, the machine's OOM killer, a session's end) still leaves them in its log
      if (++done % 500 === 0 && !args.quiet) {
        const so = [...counts].sort().map(([f, k]) => `${f} ${OUTCOMES.filter((o) => k[o]).map((o) => `${o} ${k[o]}`).join(" ")}`).join("; ");
        process.stderr.write(`fuzz: ${done}/${args.cases} cases, ${firsts.size} distinct failures, ${((performance.now() - t0) / 1000).toFixed(0)} s (${so})\n`);
      }
    }
  };
  // SIGINT/SIGTERM: print the counts of the cases done so far (cases first .. first+done-1)
  let stopped = false;
  const stop = () => { stopped = true; next = args.cases; };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await Promise.all(runners.map(work));
  const secs = (performance.now() - t0) / 1000;

  if (harnessError) console.log(`fuzz: the harness failed at ${harnessError}`);
  const early = harnessError ? ` (stopped early of ${args.cases} by the harness's failure)` : stopped ? ` (stopped early of ${args.cases}: cases ${args.first}..${args.first + done - 1} ran)` : "";
  console.log(`fuzz: ${done} cases${early}, seed ${args.seed}, ${secs.toFixed(1)} s (slowest case ${slowest.toFixed(0)} ms, limit ${args.timeout} ms)`);
  console.log(`${"format".padEnd(8)} ${OUTCOMES.map((o) => o.padStart(7)).join(" ")}`);
  const total = zero();
  for (const [fmt, c] of [...counts].sort()) {
    console.log(`${fmt.padEnd(8)} ${OUTCOMES.map((o) => String(c[o]).padStart(7)).join(" ")}`);
    for (const o of OUTCOMES) total[o] += c[o];
  }
  console.log(`${"total".padEnd(8)} ${OUTCOMES.map((o) => String(total[o]).padStart(7)).join(" ")}`);
  if (firsts.size) {
    console.log(`\n${firsts.size} distinct failures (minimal reproducers; replay with npm run fuzz -- --replay 'CASE'):`);
    let k = 0;
    for (const [sig, f] of firsts) {
      const min = harnessError ? f.c : await minimize(runners[0], f.c, sig).catch(() => f.c);
      console.log(`\n[${++k}] ${sig}  (x${f.n}, first at case ${f.index})\n    ${f.r.detail.split("\n").join("\n    ")}\n    CASE ${JSON.stringify(min)}`);
      if (args.out) writeCase(args.out, `failure-${k}`, byName.get(min.target)!, min);
    }
  }
  for (const r of runners) r.stop();
  process.exit(harnessError ? 3 : FAILURES.some((o) => total[o] > 0) ? 1 : 0);
}

if (isMainThread) await main();
else await workerMain();
