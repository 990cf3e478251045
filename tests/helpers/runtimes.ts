// The kernel builds every kernel test runs against. Relaxed SIMD needs
// --experimental-wasm-relaxed-simd in Node 20 (scripts/test-node.mjs passes it); a build
// this runtime cannot validate is reported as a skipped test, never dropped silently.
import { availableBuilds, createRuntime, type BuildName, type Runtime } from "../../src/wasm/runtime.ts";

export const WASM_BUILDS: BuildName[] = ["simd", "relaxed"];

const cache = new Map<BuildName, Promise<Runtime>>();

export function runtimeFor(build: BuildName): Promise<Runtime> {
  let p = cache.get(build);
  if (!p) { p = createRuntime({ build }); cache.set(build, p); }
  return p;
}

// undefined when the build runs here, otherwise the reason to skip
export function skipReason(build: BuildName): string | undefined {
  return availableBuilds().includes(build) ? undefined : `build "${build}" does not validate in this runtime`;
}
