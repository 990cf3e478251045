// A runtime is one instance of the kernel module: its build, its linear memory, the heap
// that allocates from it, and the kernel table. Builds: "relaxed" (relaxed SIMD, fused
// multiply-add), "simd" (plain SIMD128) and "ts" (the TypeScript references, for tests and
// for runtimes without WASM SIMD). "auto" picks the fastest one WebAssembly.validate accepts.
//
// Identical by default: "auto" is "relaxed" in Node (20 included: the flag is turned on below),
// Deno and Chromium, so the three give the same bits on the same CPU (tests/runtimes-same.test.ts).
// The fused multiply-add rounds differently from multiply-then-add, so the relaxed build's bits
// depend on the CPU (FMA or not); "simd" gives the same bits on every CPU and runtime, at a cost
// measured in bench/builds.ts.
import { KERNELS_RELAXED_BASE64, KERNELS_SIMD_BASE64 } from "./generated/kernels-wasm.ts";
import { decodeBase64, unshareMemoryImports } from "./binary.ts";
import { Heap, type WasmMemory } from "./heap.ts";
import { type Kernels, fallbackKernels } from "./kernels.ts";
import { Tensor } from "./tensor.ts";
import type { DType } from "./dtype.ts";

export type BuildName = "relaxed" | "simd" | "ts";
export const BUILDS: readonly BuildName[] = ["relaxed", "simd", "ts"];

export interface RuntimeOptions {
  build?: BuildName | "auto";
  // use a SharedArrayBuffer-backed memory (for workers); default: when the runtime allows it
  shared?: boolean;
  // the most bytes the heap may hand out at once
  limitBytes?: number;
}

const MAX_PAGES = 65536;

export class Runtime {
  constructor(
    readonly build: BuildName,
    readonly memory: WasmMemory,
    readonly heap: Heap,
    readonly k: Kernels,
    readonly shared: boolean,
    // the instantiated module's bytes (WASM builds), so worker threads can instantiate it too
    readonly moduleBytes?: Uint8Array,
  ) {}

  // a new tensor, not zeroed; the caller owns it
  tensor(dtype: DType, shape: readonly number[]): Tensor {
    return new Tensor(this, dtype, shape);
  }

  // a new f32 tensor holding a copy of `data`
  fromArray(data: ArrayLike<number>, shape: readonly number[] = [data.length]): Tensor {
    const t = new Tensor(this, "f32", shape);
    if (t.size !== data.length) { t.dispose(); throw new RangeError(`fromArray: ${data.length} values for shape [${shape.join(", ")}]`); }
    return t.write(data);
  }

  zeros(shape: readonly number[]): Tensor {
    const t = new Tensor(this, "f32", shape);
    t.f32().fill(0);
    return t;
  }
}

function wasmBytes(build: "relaxed" | "simd", shared: boolean): Uint8Array {
  const bytes = decodeBase64(build === "relaxed" ? KERNELS_RELAXED_BASE64 : KERNELS_SIMD_BASE64);
  return shared ? bytes : unshareMemoryImports(bytes);
}

// Whether this runtime can create shared WebAssembly memory (browsers: only when cross-origin
// isolated). Probed once: V8 lists every shared memory ever created in a weak list that it does
// not compact (about 10 bytes of JS heap each, for the life of the process), so a probe per
// load grew the heap with every load.
let shareable: boolean | undefined;
export function canShareMemory(): boolean {
  if (shareable !== undefined) return shareable;
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (typeof g.SharedArrayBuffer === "undefined" || g.crossOriginIsolated === false) return (shareable = false);
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    return (shareable = true);
  } catch {
    return (shareable = false);
  }
}

// Node 20 compiles relaxed SIMD only behind --experimental-wasm-relaxed-simd (on by default from
// Node 22). The flag only adds a standard feature and must be set before the module compiles,
// so the library sets it the first time builds are listed (Node >= 20.16 has getBuiltinModule;
// older Node 20 runs the simd build unless started with the flag).
let relaxedFlagTried = false;
function enableRelaxedSimdInNode(): void {
  if (relaxedFlagTried) return;
  relaxedFlagTried = true;
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } };
  if (g.Deno !== undefined || !g.process?.versions?.node || typeof g.process.getBuiltinModule !== "function") return;
  if (WebAssembly.validate(wasmBytes("relaxed", false) as BufferSource)) return;
  const v8 = g.process.getBuiltinModule("node:v8") as { setFlagsFromString?(f: string): void } | undefined;
  v8?.setFlagsFromString?.("--experimental-wasm-relaxed-simd");
}

// The builds this runtime validates, fastest first.
let available: BuildName[] | undefined;

export function availableBuilds(): BuildName[] {
  if (available) return [...available];
  const out: BuildName[] = [];
  if (typeof WebAssembly === "object") {
    enableRelaxedSimdInNode();
    const shared = canShareMemory();
    for (const b of ["relaxed", "simd"] as const) if (WebAssembly.validate(wasmBytes(b, shared) as BufferSource)) out.push(b);
  }
  out.push("ts");
  available = out;
  return [...out];
}

// One compiled module per build and memory kind for the life of the program: every runtime
// instantiates it with its own memory, so loading a model compiles nothing (before, each load
// compiled the bytes again, and V8's code space grew a little with every load).
let kernelNames: (keyof Kernels)[] | undefined;
const compiled = new Map<string, Promise<WebAssembly.Module>>();
function compiledModule(build: BuildName, shared: boolean, bytes: Uint8Array): Promise<WebAssembly.Module> {
  const key = `${build}/${shared}`;
  let m = compiled.get(key);
  if (!m) {
    m = WebAssembly.compile(bytes as BufferSource);
    m.catch(() => compiled.delete(key));
    compiled.set(key, m);
  }
  return m;
}

export async function createRuntime(opts: RuntimeOptions = {}): Promise<Runtime> {
  const want = opts.build ?? "auto";
  if (want !== "auto" && !BUILDS.includes(want)) throw new Error(`unknown build "${want}" (expected auto, ${BUILDS.join(", ")})`);
  const shared = opts.shared ?? canShareMemory();
  if (shared && !canShareMemory()) throw new Error("shared memory was asked for, but this runtime cannot create shared WebAssembly memory");
  const build = want === "auto" ? availableBuilds()[0] : want;
  const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared } as WebAssembly.MemoryDescriptor);
  if (build === "ts") {
    const heap = new Heap(memory, 64, opts.limitBytes);
    return new Runtime(build, memory, heap, fallbackKernels(heap), shared);
  }
  if (build === "relaxed") enableRelaxedSimdInNode();
  const bytes = wasmBytes(build, shared);
  if (!compiled.has(`${build}/${shared}`) && !WebAssembly.validate(bytes as BufferSource)) {
    throw new Error(`the "${build}" kernel build does not validate in this runtime` +
      (build === "relaxed" ? " (Node before 20.16 needs --experimental-wasm-relaxed-simd)" : " (WebAssembly SIMD is not supported)"));
  }
  const instance = await WebAssembly.instantiate(await compiledModule(build, shared, bytes), { env: { memory } });
  const exports = instance.exports as unknown as Kernels & { heap_base(): number };
  const heap = new Heap(memory, exports.heap_base(), opts.limitBytes);
  kernelNames ??= Object.keys(fallbackKernels(heap)) as (keyof Kernels)[];
  const expected = kernelNames;
  const missing = expected.filter((name) => typeof exports[name] !== "function");
  if (missing.length) throw new Error(`kernel build "${build}" lacks kernels: ${missing.join(", ")}`);
  return new Runtime(build, memory, heap, exports, shared, bytes);
}

// The build asked for by BUDGETKV_BUILD in the environment (Node, or Deno with env access),
// else "auto". LLM.load and the CLI use it when no build is given.
export function envBuild(): BuildName | "auto" {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> }; Deno?: { env?: { get(k: string): string | undefined } } };
  let v: string | undefined;
  try {
    v = g.process?.env?.BUDGETKV_BUILD ?? g.Deno?.env?.get("BUDGETKV_BUILD");
  } catch {
    v = undefined; // Deno without --allow-env: no override
  }
  if (v === undefined || v === "") return "auto";
  if (v === "auto" || (BUILDS as readonly string[]).includes(v)) return v as BuildName | "auto";
  throw new Error(`BUDGETKV_BUILD = "${v}" is not a kernel build (expected auto, ${BUILDS.join(", ")})`);
}
