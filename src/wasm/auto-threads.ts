// `threads: "auto"`: how many threads a model's linear layers get. Splitting a matrix product
// across threads pays a hand-off per kernel call (tens of microseconds); a model whose token
// costs little more than that runs slower on 2 threads than on 1 (measured with bench/e2e.ts:
// the 260K and 656K-parameter shared models decode slower on 2 threads, the 135M shape faster).
// So models under AUTO_MIN_PARAMS run on one thread, larger ones on every core the runtime
// reports (navigator.hardwareConcurrency, or node:os's CPU count under Node 20).

// linear-layer parameters below which the pool loses (between 656K, where 2 threads lose, and
// the 135M shape, where they win)
export const AUTO_MIN_PARAMS = 1_000_000;

// logical cores the runtime reports, at least 1
export async function coreCount(): Promise<number> {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { versions?: { node?: string } }; Deno?: unknown };
  const n = g.navigator?.hardwareConcurrency;
  if (typeof n === "number" && n >= 1) return Math.floor(n);
  if (g.process?.versions?.node && !g.Deno) {
    const os = await import("node:os");
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  }
  return 1;
}

// threads for a model with nParams parameters in its 2-D weights
export async function autoThreads(nParams: number): Promise<number> {
  return nParams < AUTO_MIN_PARAMS ? 1 : coreCount();
}
