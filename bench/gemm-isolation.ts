// Does anything in the kernel bench's process slow gemm? gemm_f32 m=512 2048x2048 timed in
// interleaved pairs with the register-only peak probe (bench/stats.ts pairedRatio), from the
// bench's runtime and from a raw instance of the same wasm (its own memory, fixed offsets, as
// /work/ext/ab/gemm-ab.mjs makes it), in four phases: fresh; after ortInit and tfjsInit; after an
// onnxruntime-web session and a tfjs matMul of the same shape ran (kept alive); after they were
// disposed. Per phase: process threads (/proc/self/status), RSS, the paired % of peak for both
// instances, and process CPU time over wall time during the gemm calls (below 1: the process
// was waiting for a core). Answers checked against each other (bit-equal: same build).
// Usage: node scripts/run-ts.mjs bench/gemm-isolation.ts [relaxed|simd] [pairs]
import fs from "node:fs";
import { createRuntime } from "../src/wasm/runtime.ts";
import { PROBE_PEAK_FLOPS_PER_ITER, probePeak } from "../src/wasm/ops/probe.ts";
import { GEMM_F32_SCRATCH_FLOATS, gemm } from "../src/wasm/ops/matmul.ts";
import { median } from "../src/util/stats.ts";
import { mulberry32 } from "../src/util/rng.ts";
import { ortGemm, ortInit } from "./peers/ort.ts";
import { tfjsInit, tfjsMatMul } from "./peers/tfjs.ts";
import { pairedRatio } from "./stats.ts";
import { timePairs } from "./timing.ts";

const build = (process.argv[2] ?? "relaxed") as "relaxed" | "simd", pairs = Number(process.argv[3] ?? 11);
const m = 512, K = 2048, N = 2048, flops = 2 * m * K * N;
const rand = (n: number, s: number) => { const r = mulberry32(s); return Float32Array.from({ length: n }, () => r() * 2 - 1); };
const Xd = rand(m * K, 3), Wd = rand(N * K, 4); // X (m, K), W (N, K)

const rt = await createRuntime({ build });
const X = rt.fromArray(Xd, [m, K]), W = rt.fromArray(Wd, [N, K]), Y = rt.zeros([m, N]), S = rt.zeros([GEMM_F32_SCRATCH_FLOATS]);
const ours = () => gemm(Y, X, W, S);

const mod = await WebAssembly.compile(fs.readFileSync(`build/kernels-${build}.wasm`)); // npm run build:wasm; run from the repository root
const memory = new WebAssembly.Memory({ initial: 2000, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
const imports: Record<string, Record<string, unknown>> = {};
for (const i of WebAssembly.Module.imports(mod)) (imports[i.module] ??= {})[i.name] = i.kind === "memory" ? memory : () => {};
const raw = (await WebAssembly.instantiate(mod, imports as WebAssembly.Imports)).exports as { gemm_f32: (...a: number[]) => void };
const rX = 1 << 20, rW = rX + m * K * 4, rY = rW + N * K * 4, rS = rY + m * N * 4;
new Float32Array(memory.buffer).set(Xd, rX / 4);
new Float32Array(memory.buffer).set(Wd, rW / 4);
const rawGemm = () => raw.gemm_f32(rX, rW, rY, rS, m, K, N, 0, N);
ours(); rawGemm();
const same = new Float32Array(memory.buffer, rY, m * N).every((v, i) => Object.is(v, Y.f32()[i]));
if (!same) throw new Error("gemm-isolation: the raw instance's answer differs from the runtime's");

// the probe runs about as long as one gemm call
const t0 = performance.now(); ours(); const gemmMs = performance.now() - t0;
const t1 = performance.now(); probePeak(rt, 1e6); const steps = Math.round((1e6 * gemmMs) / (performance.now() - t1));
const peak = () => probePeak(rt, steps);

const threads = () => /Threads:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1] ?? "?";
async function phase(label: string): Promise<void> {
  const cpu: number[] = [];
  const cpuTimed = (fn: () => void) => () => {
    const c0 = process.cpuUsage(), w0 = performance.now();
    fn();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3 / (performance.now() - w0));
  };
  const a = await timePairs(cpuTimed(ours), peak, pairs);
  const b = await timePairs(rawGemm, peak, pairs);
  const pa = pairedRatio(flops, a.a_ms, steps * PROBE_PEAK_FLOPS_PER_ITER, a.b_ms).median;
  const pb = pairedRatio(flops, b.a_ms, steps * PROBE_PEAK_FLOPS_PER_ITER, b.b_ms).median;
  console.log(`${label.padEnd(26)} threads ${threads()}, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB: ` +
    `% peak paired: runtime ${(100 * pa).toFixed(1)}, raw instance ${(100 * pb).toFixed(1)}; cpu / wall during gemm ${median(cpu).toFixed(2)}`);
}

console.log(`gemm_f32 ${build} m=${m} ${N}x${K}, ${pairs} pairs per figure`);
await phase("fresh");
ortInit();
await tfjsInit();
await phase("peers initialised");
const o = await ortGemm(Wd, Xd, m, K, N), t = tfjsMatMul(Wd, Xd, m, K, N, "KN");
await o.run(); await o.run(); t.run(); t.run();
await phase("peers ran (alive)");
await o.dispose(); await t.dispose();
await phase("peers disposed");
