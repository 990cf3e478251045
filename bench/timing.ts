// Timing one benchmark function with tinybench: warm first (many short calls, so V8 tiers the
// kernel up from its baseline compiler), then sample. The sample count is sized from one
// calibration call so that slow peers (seconds a call) do not blow the run's time budget.
import { Bench } from "tinybench";
import { medianMs } from "./stats.ts";

export interface Timing {
  median_ms: number;
  min_ms: number;
  samples: number;
}

export interface TimingOptions {
  budgetMs?: number;  // sampling time per task (default 500 ms)
  warmupMs?: number;  // warm-up time per task (default 200 ms)
}

export async function timeIt(name: string, fn: () => unknown, opts: TimingOptions = {}): Promise<Timing> {
  const budget = opts.budgetMs ?? 500, warm = opts.warmupMs ?? 200;
  const t0 = performance.now();
  await fn();
  const once = performance.now() - t0;
  // fast kernels get as many samples as the budget holds; a call slower than the budget gets
  // 2 samples and no warm-up beyond the calibration call (it is long enough to tier up)
  const slow = once > budget;
  const bench = new Bench({
    time: slow ? 0 : budget,
    iterations: slow ? 2 : Math.max(3, Math.min(64, Math.floor(budget / Math.max(once, 1e-3)))),
    warmup: !slow,
    warmupTime: warm,
    warmupIterations: Math.max(5, Math.min(64, Math.floor(warm / Math.max(once, 1e-3)))),
    retainSamples: true,
    throws: true,
  });
  bench.add(name, fn);
  const [task] = await bench.run();
  const r = task.result;
  if (r.state !== "completed" || !("latency" in r)) throw new Error(`benchmark "${name}" did not complete (${r.state})`);
  return { median_ms: medianMs(task), min_ms: r.latency.min, samples: r.latency.samplesCount };
}

// Interleaved pairs for a kernel / ceiling ratio (see pairedRatio in stats.ts): after `warm`
// untimed calls of each, n pairs of one call of a and one of b, back to back, the first of
// the two alternating (a b, b a, a b, ...) so neither always runs right after the other.
// Returns each call's milliseconds (a_ms[i] and b_ms[i] are pair i). Timed with
// performance.now around each call (an async call is awaited inside its time); `now` is the
// clock, replaceable for tests.
export async function timePairs(a: () => unknown, b: () => unknown, n: number, warm = 2, now: () => number = () => performance.now()): Promise<{ a_ms: number[]; b_ms: number[] }> {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`timePairs: n must be a positive integer, got ${n}`);
  for (let i = 0; i < warm; i++) { await a(); await b(); }
  const a_ms: number[] = [], b_ms: number[] = [];
  const one = async (fn: () => unknown, into: number[]) => {
    const t0 = now();
    await fn();
    into.push(now() - t0);
  };
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) { await one(a, a_ms); await one(b, b_ms); }
    else { await one(b, b_ms); await one(a, a_ms); }
  }
  return { a_ms, b_ms };
}
