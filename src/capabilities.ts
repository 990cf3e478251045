// What this runtime can do: which JavaScript host it is, which kernel builds validate, and how
// many threads LLM.load({ threads: "auto" }) runs. Threads need shared WebAssembly memory
// (in a browser: a cross-origin-isolated page, i.e. COOP/COEP headers) and a thread that may
// block in Atomics.wait (Node, Deno, a browser Worker; not a page's main thread).
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
const MAX_AUTO_THREADS = 8;

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

// logical processors, 1 when the host does not say
export function hardwareConcurrency(): number {
  const g = globalThis as Host;
  const n = g.navigator?.hardwareConcurrency;
  if (Number.isInteger(n) && n! > 0) return n!;
  const os = g.process?.getBuiltinModule?.("node:os") as { availableParallelism?(): number; cpus?(): unknown[] } | undefined;
  return os?.availableParallelism?.() ?? os?.cpus?.().length ?? 1;
}

// Threads LLM.load runs for threads: "auto".
export function autoThreads(): number {
  if (!canShareMemory() || hostName() === "browser") return 1;
  return Math.max(1, Math.min(MAX_AUTO_THREADS, hardwareConcurrency()));
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
