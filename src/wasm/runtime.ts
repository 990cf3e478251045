// A runtime is one instance of the kernel module: its build, its linear memory, the heap
// that allocates from it, and the kernel table. Builds: "relaxed" (relaxed SIMD, fused
// multiply-add), "simd" (plain SIMD128) and "ts" (the TypeScript references, for tests and
// for runtimes without WASM SIMD). "auto" picks the fastest one WebAssembly.validate accepts.
import { KERNELS_RELAXED_BASE64, KERNELS_SIMD_BASE64 } from "./generated/kernels-wasm.ts";
import { decodeBase64, unshareMemoryImports } from "./binary.ts";
import { Heap } from "./heap.ts";
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
    readonly memory: WebAssembly.Memory,
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

// Whether this runtime can create shared WebAssembly memory (browsers: only when cross-origin isolated).
export function canShareMemory(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (typeof g.SharedArrayBuffer === "undefined") return false;
  if (g.crossOriginIsolated === false) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    return true;
  } catch {
    return false;
  }
}

// The builds this runtime validates, fastest first.
export function availableBuilds(): BuildName[] {
  const out: BuildName[] = [];
  if (typeof WebAssembly === "object") {
    const shared = canShareMemory();
    for (const b of ["relaxed", "simd"] as const) if (WebAssembly.validate(wasmBytes(b, shared) as BufferSource)) out.push(b);
  }
  out.push("ts");
  return out;
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
  const bytes = wasmBytes(build, shared);
  if (!WebAssembly.validate(bytes as BufferSource)) {
    throw new Error(`the "${build}" kernel build does not validate in this runtime` +
      (build === "relaxed" ? " (Node 20 needs --experimental-wasm-relaxed-simd)" : " (WebAssembly SIMD is not supported)"));
  }
  const { instance } = await WebAssembly.instantiate(bytes as BufferSource, { env: { memory } });
  const exports = instance.exports as unknown as Kernels & { heap_base(): number };
  const heap = new Heap(memory, exports.heap_base(), opts.limitBytes);
  const expected = Object.keys(fallbackKernels(heap)) as (keyof Kernels)[];
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
