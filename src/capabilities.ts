// What this runtime can do: which JavaScript host it is, which kernel builds validate, and how
// many threads LLM.load({ threads: "auto" }) runs. Threads need shared WebAssembly memory
// (in a browser: a cross-origin-isolated page, i.e. COOP/COEP headers) and a thread that may
// block in Atomics.wait (Node, Deno, a browser Worker; not a page's main thread).
//
// threads: "auto" is one rule, here (autoThreads), for LLM.load and capabilities().threads:
// 1. 1 where threads cannot run (no shared memory, or a page's main thread);
// 2. 1 for a model under AUTO_MIN_PARAMS parameters in its 2-D weights: splitting a matrix
//    product across threads pays a hand-off per kernel call (tens of microseconds), and a model
//    whose token costs little more than that runs slower on 2 threads than on 1 (measured with
//    bench/e2e.ts: the 260K and 656K-parameter shared models decode slower on 2 threads, the
//    135M shape faster);
// 3. else every logical core the runtime reports, at most MAX_AUTO_THREADS.
import { availableBuilds, canShareMemory, type BuildName } from "./wasm/runtime.ts";

export type HostName = "node" | "deno" | "browser" | "worker" | "unknown";

export interface Capabilities {
  runtime: HostName;            // browser: a page's main thread; worker: a Worker in a browser
  simd: boolean;                // the plain SIMD128 kernel build validates
  relaxedSimd: boolean;         // the relaxed SIMD build validates
  build: BuildName;             // the build that build: "auto" picks
  threads: number;              // threads "auto" runs: 1 without shared memory or on a page's main thread
  crossOriginIsolated: boolean; // shared memory is allowed (always true outside browsers)
}

// most threads "auto" asks for; the linear layers of small models gain little beyond it
export const MAX_AUTO_THREADS = 8;

// 2-D weight parameters below which the pool loses (between 656K, where 2 threads lose, and
// the 135M shape, where they win)
export const AUTO_MIN_PARAMS = 1_000_000;

type Host = {
  Deno?: unknown; document?: unknown; WorkerGlobalScope?: unknown; crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
};

export function hostName(): HostName {
  const g = globalThis as Host;
  if (g.Deno !== undefined) return "deno";
  if (g.process?.versions?.node) return "node";
  if (g.document !== undefined) return "browser";
  if (g.WorkerGlobalScope !== undefined) return "worker";
  return "unknown";
}

// logical processors, 1 when the host does not say (Node 20 has no navigator: node:os through
// process.getBuiltinModule, Node >= 20.16)
export function hardwareConcurrency(): number {
  const g = globalThis as Host;
  const n = g.navigator?.hardwareConcurrency;
  if (Number.isInteger(n) && n! > 0) return n!;
  const os = g.process?.getBuiltinModule?.("node:os") as { availableParallelism?(): number; cpus?(): unknown[] } | undefined;
  return Math.max(1, os?.availableParallelism?.() ?? os?.cpus?.().length ?? 1);
}

// Threads for threads: "auto" (the rule on top): for a model with nParams parameters in its 2-D
// weights, or, with nParams undefined, for a model large enough to gain (capabilities().threads).
export function autoThreads(nParams?: number): number {
  if (!canShareMemory() || hostName() === "browser") return 1;
  if (nParams !== undefined && !(nParams >= AUTO_MIN_PARAMS)) return 1;
  return Math.min(MAX_AUTO_THREADS, hardwareConcurrency());
}

export function capabilities(): Capabilities {
  const builds = availableBuilds();
  const g = globalThis as Host;
  return {
    runtime: hostName(),
    simd: builds.includes("simd"),
    relaxedSimd: builds.includes("relaxed"),
    build: builds[0],
    threads: autoThreads(),
    crossOriginIsolated: g.crossOriginIsolated ?? canShareMemory(),
  };
}
