// The quantized decode stream, kernel against kernel: every matrix of a GGUF model (the
// classifier included; a tied one is token_embd) multiplied once by one activation row through
// the integer-dot gemv the model decodes with (gemv_<t>_<a>, the row quantized beforehand,
// outside the timing), as one token does. Two kernel modules run side by side in one process:
// this checkout's (the chosen build, as npm run build:wasm embedded it) and a baseline built
// from another checkout (--base DIR holding kernels-simd.wasm and kernels-relaxed.wasm, e.g. a
// copy of main's build/). Each has its own memory with its own copy of the weights. The answers
// are checked first (every row of every matrix bit-identical between the modules), then rounds
// alternate A B, B A, ... and report the weight bytes read per second (median of the rounds),
// the per-round ratio new / base and its median (wall clock and process CPU time), and the read
// probe (probe_sum_f32 over the same bytes) in the same rounds.
// --also DIR (repeatable) adds more modules (kernel variants built elsewhere) to the rotation.
// This machine's speed drifts between runs: only the ratios of one run mean anything.
//   node scripts/run-ts.mjs bench/qdecode-stream.ts --base DIR [--also DIR ...] [--build simd|relaxed]
//        [--rounds 9] [--passes 1] [--only DTYPE] [--f32-act] [--json] MODEL.gguf ...
import { readFileSync, openSync, readSync, fstatSync, closeSync } from "node:fs";
import { join } from "node:path";
import { KERNELS_RELAXED_BASE64, KERNELS_SIMD_BASE64 } from "../src/wasm/generated/kernels-wasm.ts";
import { decodeBase64 } from "../src/wasm/binary.ts";
import { parseGGUFHeader } from "../src/format/gguf.ts";
import { INT_DOT_ACT, INT_DOT_GEMV, actRowBytes, type IntDotDType } from "../src/wasm/ops/qmatmul.ts";
import { median } from "../src/util/stats.ts";

const args = process.argv.slice(2);
const flag = (name: string, def?: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const build = flag("--build", "relaxed")!, rounds = Number(flag("--rounds", "9")), base = flag("--base"), json = args.includes("--json");
const only = flag("--only"); // one weight dtype only (e.g. q5_0)
// --passes N: each round times N passes over the matrices (a small dtype's pass alone is a few ms,
// which the other processes of a shared machine swamp)
const passes = Number(flag("--passes", "1"));
// --f32-act: the f32-activation gemv_<t> (x as f32, no quantized row) instead of the integer dot
const f32Act = args.includes("--f32-act");
const also = args.flatMap((a, i) => args[i - 1] === "--also" ? [a] : []);
const models = args.filter((a, i) => a.endsWith(".gguf") && !["--base", "--build", "--rounds", "--also", "--only", "--passes"].includes(args[i - 1]));
if (!base || models.length === 0) throw new Error("usage: qdecode-stream.ts --base DIR [--build simd|relaxed] [--rounds 9] [--json] MODEL.gguf ...");

// the process's CPU time (user + system), which a loaded machine disturbs less than the wall clock
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
type K = Record<string, (...a: number[]) => number>;
interface Inst { name: string; k: K; mem: WebAssembly.Memory; top: number }
async function instance(name: string, bytes: Uint8Array): Promise<Inst> {
  const mem = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
  const i = await WebAssembly.instantiate(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), { env: { memory: mem } });
  const k = i.exports as unknown as K;
  return { name, k, mem, top: (k.heap_base() + 63) & ~63 };
}
function alloc(m: Inst, bytes: number): number {
  const p = m.top;
  m.top = (m.top + bytes + 63) & ~63;
  const need = Math.ceil(m.top / 65536) - m.mem.buffer.byteLength / 65536;
  if (need > 0) m.mem.grow(need);
  return p;
}

const mine = decodeBase64(build === "simd" ? KERNELS_SIMD_BASE64 : KERNELS_RELAXED_BASE64);
const insts = [await instance("base", readFileSync(join(base, `kernels-${build}.wasm`))), await instance("new", mine)];
for (const dir of also) insts.push(await instance(dir, readFileSync(join(dir, `kernels-${build}.wasm`))));
const out: unknown[] = [];
for (const file of models) {
  const fd = openSync(file, "r"), size = fstatSync(fd).size;
  const head = new Uint8Array(Math.min(size, 16 << 20));
  readSync(fd, head, 0, head.length, 0);
  const h = parseGGUFHeader(head, size, file);
  const mats = h.tensors.filter((t) => t.shape.length === 2 && t.dtype !== undefined && t.dtype in INT_DOT_ACT);
  // token_embd is the classifier when there is no output.weight (tied embeddings)
  const tied = !h.tensors.some((t) => t.name === "output.weight");
  const use = mats.filter((t) => (t.name !== "token_embd.weight" || tied) && (!only || t.dtype === only));
  let bytes = 0;
  const per = insts.map(() => [] as { gemv: string; W: number; xq: number; y: number; n_in: number; n_out: number }[]);
  const ins = new Set(use.map((t) => `${INT_DOT_ACT[t.dtype as IntDotDType]} ${t.shape[1]}`));
  const xqs = insts.map(() => new Map<string, number>());
  for (const [j, m] of insts.entries()) {
    // one activation row per (activation type, n_in), quantized once with this module's kernel
    for (const key of ins) {
      const [a, nIn] = [key.split(" ")[0] as "q8_0" | "q8_k", Number(key.split(" ")[1])];
      const x = alloc(m, 4 * nIn), xq = alloc(m, actRowBytes(a, nIn));
      const f = new Float32Array(m.mem.buffer, x, nIn);
      for (let i = 0; i < nIn; i++) f[i] = Math.sin(0.37 * i + 1) * (1 + (i % 7));
      m.k[`quantize_rows_${a}`](x, xq, nIn, 1);
      xqs[j].set(key, f32Act ? x : xq);
    }
  }
  for (const t of use) {
    const buf = new Uint8Array(t.nbytes);
    readSync(fd, buf, 0, t.nbytes, h.dataOffset + t.offset);
    const [n_out, n_in] = t.shape, dt = t.dtype as IntDotDType;
    for (const [j, m] of insts.entries()) {
      const W = alloc(m, t.nbytes), y = alloc(m, 4 * n_out);
      new Uint8Array(m.mem.buffer, W, t.nbytes).set(buf);
      per[j].push({ gemv: f32Act ? `gemv_${dt}` : INT_DOT_GEMV[dt], W, xq: xqs[j].get(`${INT_DOT_ACT[dt]} ${n_in}`)!, y, n_in, n_out });
    }
    bytes += t.nbytes;
  }
  closeSync(fd);
  const pass = (j: number) => { for (const c of per[j]) insts[j].k[c.gemv](c.W, c.xq, c.y, c.n_in, 0, c.n_out); };
  // check first: both modules give the same bits on every row of every matrix
  for (let j = 0; j < insts.length; j++) pass(j);
  for (let j = 1; j < insts.length; j++) {
    for (const [i, c] of per[0].entries()) {
      const a = new Float32Array(insts[0].mem.buffer, c.y, c.n_out), b = new Float32Array(insts[j].mem.buffer, per[j][i].y, c.n_out);
      for (let r = 0; r < c.n_out; r++) if (!Object.is(a[r], b[r])) throw new Error(`${file} ${use[i].name} (${c.gemv}): row ${r} ${insts[j].name} ${b[r]}, base ${a[r]}`);
    }
  }
  // the read probe over the weights of the new module (contiguous from the first matrix)
  const p0 = per[1][0].W, probeN = ((per[1][per[1].length - 1].W - p0) >> 2) & ~31;
  const gbs: number[][] = insts.map(() => []), probe: number[] = [], ratios: number[][] = insts.map(() => []), cpuRatios: number[][] = insts.map(() => []);
  const order = insts.map((_, j) => j);
  for (let r = 0; r < rounds; r++) {
    const ms = insts.map(() => 0), cpu = insts.map(() => 0);
    for (const j of r % 2 === 0 ? order : order.slice().reverse()) {
      const t0 = performance.now(), c0 = cpuMs();
      for (let k = 0; k < passes; k++) pass(j);
      cpu[j] = cpuMs() - c0;
      ms[j] = performance.now() - t0;
      gbs[j].push(passes * bytes / ms[j] / 1e6);
    }
    for (let j = 1; j < insts.length; j++) { ratios[j].push(ms[0] / ms[j]); cpuRatios[j].push(cpu[0] / cpu[j]); }
    const t0 = performance.now();
    insts[1].k.probe_sum_f32(p0, probeN);
    probe.push(4 * probeN / (performance.now() - t0) / 1e6);
  }
  const types: Record<string, number> = {};
  for (const t of use) types[t.dtype!] = (types[t.dtype!] ?? 0) + t.nbytes;
  const row = {
    model: file.split("/").pop(), build, kernels: f32Act ? "gemv_<t> (f32 x)" : "gemv_<t>_<a> (integer dot)", matrices: use.length, weight_mb: +(bytes / 1e6).toFixed(1),
    mb_by_type: Object.fromEntries(Object.entries(types).map(([k, v]) => [k, +(v / 1e6).toFixed(1)])),
    probe_gb_s: +median(probe).toFixed(2),
    modules: insts.map((m, j) => ({ module: m.name, gb_s: +median(gbs[j]).toFixed(2), ...(j > 0 ? { ratio_to_base: +median(ratios[j]).toFixed(3), cpu_ratio_to_base: +median(cpuRatios[j]).toFixed(3), ratios: ratios[j].map((v) => +v.toFixed(3)) } : {}) })),
  };
  out.push(row);
  if (!json) {
    console.log(`${row.model} (${build}, ${row.kernels}, ${row.weight_mb} MB ${JSON.stringify(row.mb_by_type)}): probe ${row.probe_gb_s} GB/s`);
    for (const m of row.modules) console.log(`  ${m.module}: ${m.gb_s} GB/s${m.ratio_to_base ? `, / base x${m.ratio_to_base} wall, x${m.cpu_ratio_to_base} CPU time (wall rounds ${m.ratios!.join(" ")})` : ""}`);
  }
}
if (json) console.log(JSON.stringify(out, null, 2));
