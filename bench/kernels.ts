// Kernel benchmarks, single thread: every answer (ours per build and each peer's) is checked
// against the plain reference first, then timed with tinybench (medians of many warm calls).
// Peers on the same shapes in the same run: onnxruntime-web (wasm, 1 thread, SIMD) and
// tfjs-backend-wasm (1 thread, SIMD). Probes of our own module put the figures in proportion:
// the register-only multiply-add peak per build and the streaming read bandwidth.
// Usage: npm run bench [-- --json] [-- --only SUBSTRING]
import { availableBuilds, createRuntime, type BuildName, type Runtime } from "../src/wasm/runtime.ts";
import { PROBE_PEAK_FLOPS_PER_ITER, probePeak, probeSum } from "../src/wasm/ops/probe.ts";
import { CASES, PEER_NAMES, type Case } from "./cases.ts";
import { ORT_VERSION, ortInit } from "./peers/ort.ts";
import { TFJS_VERSION, tfjsInit } from "./peers/tfjs.ts";
import type { Runner } from "./peers/types.ts";
import { timeIt } from "./timing.ts";

const args = process.argv.slice(2);
const json = args.includes("--json");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const log = (s: string) => { if (!json) console.error(s); };

const builds = availableBuilds().filter((b): b is Exclude<BuildName, "ts"> => b !== "ts");
const best = builds[0]; // relaxed when it validates, else simd
const runtimes = new Map<BuildName, Runtime>();
for (const b of builds) runtimes.set(b, await createRuntime({ build: b }));
ortInit();
const tf = await tfjsInit();
log(`builds: ${builds.join(", ")}; onnxruntime-web ${ORT_VERSION}; tfjs ${TFJS_VERSION} (wasm, simd ${tf.simd}, ${tf.threads} thread)`);

// ---- probes ----
// The probes give ceilings, so they use the fastest sample (not the median), and run before
// and after the cases, keeping the best: on a shared machine a ceiling measured during a busy
// moment would flatter every percentage computed from it.
const PEAK_ITERS = 20_000;
const BW_FLOATS = 24 << 20; // 96 MB, far beyond the last-level cache
const peak: Record<string, number> = {}, bandwidth: Record<string, number> = {};
async function probe(): Promise<void> {
  for (const [b, rt] of runtimes) {
    if (probePeak(rt, 3) !== 84) throw new Error(`probe_peak_f32 (${b}): wrong answer`);
    const tp = await timeIt(`peak ${b}`, () => probePeak(rt, PEAK_ITERS));
    peak[b] = Math.max(peak[b] ?? 0, (PEAK_ITERS * PROBE_PEAK_FLOPS_PER_ITER) / tp.min_ms / 1e6);
    const a = rt.tensor("f32", [BW_FLOATS]);
    a.f32().fill(1);
    if (probeSum(a) !== BW_FLOATS) throw new Error(`probe_sum_f32 (${b}): wrong answer`);
    const tb = await timeIt(`bandwidth ${b}`, () => probeSum(a));
    bandwidth[b] = Math.max(bandwidth[b] ?? 0, (BW_FLOATS * 4) / tb.min_ms / 1e6);
    a.dispose();
  }
}
await probe();

// ---- cases ----
interface Row {
  kernel: string; shape: string; unit: string;
  ours: Record<string, number>; peers: Record<string, number>;
  ratio?: number; pct_peak?: number; pct_bandwidth?: number;
  median_ms: Record<string, number>;
  min_ms: Record<string, number>;
}

async function measure<D>(c: Case<D>, label: string, d: D, make: () => Promise<Runner> | Runner): Promise<[number, number, number]> {
  const r = await make();
  try {
    const bad = c.check(await r.output(), d);
    if (bad) throw new Error(`${c.kernel} ${c.shape} (${label}): answer differs from the reference: ${bad}`);
    const t = await timeIt(`${c.kernel} ${c.shape} ${label}`, () => r.run());
    return [c.work / t.median_ms / (c.unit === "GFLOP/s" ? 1e6 : 1e3), t.median_ms, t.min_ms];
  } finally {
    await r.dispose();
  }
}

const rows: Row[] = [];
for (const c of CASES) {
  const name = `${c.kernel} ${c.shape}`;
  if (only && !name.includes(only)) continue;
  const d = c.inputs();
  const row: Row = { kernel: c.kernel, shape: c.shape, unit: c.unit, ours: {}, peers: {}, median_ms: {}, min_ms: {} };
  // ours and the peers alternate per case, so a change in machine load hits them alike
  if (c.ours) for (const [b, rt] of runtimes) [row.ours[b], row.median_ms[b], row.min_ms[b]] = await measure(c, b, d, () => c.ours!(rt, d));
  for (const p of c.peers) [row.peers[p.name], row.median_ms[p.name], row.min_ms[p.name]] = await measure(c, p.name, d, () => p.make(d));
  const mine = row.ours[best], bestPeer = Math.max(...Object.values(row.peers));
  if (mine !== undefined && bestPeer > 0) row.ratio = mine / bestPeer;
  rows.push(row);
  log(`${name}: ${builds.map((b) => `${b} ${row.ours[b]?.toFixed(1) ?? "-"}`).join(", ")}; ` +
    Object.entries(row.peers).map(([p, v]) => `${p} ${v.toFixed(1)}`).join(", ") + ` ${c.unit}`);
}

await probe();
for (const b of builds) log(`probe ${b}: multiply-add peak ${peak[b].toFixed(1)} GFLOP/s, read bandwidth ${bandwidth[b].toFixed(1)} GB/s`);
for (const r of rows) {
  const c = CASES.find((x) => x.kernel === r.kernel && x.shape === r.shape)!, mine = r.ours[best];
  if (mine !== undefined && c.vsPeak) r.pct_peak = (100 * mine) / peak[best];
  if (mine !== undefined && c.streamBytes) r.pct_bandwidth = (100 * (c.streamBytes / r.median_ms[best] / 1e6)) / bandwidth[best];
}

if (json) {
  console.log(JSON.stringify({ builds, best, peak_gflops: peak, bandwidth_gbs: bandwidth, ort: ORT_VERSION, tfjs: TFJS_VERSION, rows }, null, 2));
} else {
  const cols = ["kernel", "shape", "unit", ...builds.map((b) => `ours ${b}`), ...PEER_NAMES, "ours/best peer", "% peak", "% bw"];
  const fmt = (v: number | undefined, digits = 1) => (v === undefined ? "-" : v.toFixed(digits));
  const table = rows.map((r) => [r.kernel, r.shape, r.unit, ...builds.map((b) => fmt(r.ours[b])),
    ...PEER_NAMES.map((p) => fmt(r.peers[p])), r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}x`,
    fmt(r.pct_peak, 0), fmt(r.pct_bandwidth, 0)]);
  const widths = cols.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) => "| " + cells.map((s, i) => (i < 3 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join(" | ") + " |";
  console.log(line(cols));
  console.log("|" + widths.map((w, i) => (i < 3 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|");
  for (const t of table) console.log(line(t));
  console.log(`\nSingle thread, medians of tinybench samples. Ours: the kernel call on data already in its memory; ratio and %`);
  console.log(`use the ${best} build. Ceilings (fastest samples, best of two runs): register-only multiply-add ${builds.map((b) => `${b} ${peak[b].toFixed(1)}`).join(", ")} GFLOP/s;`);
  console.log(`read bandwidth (sum of 96 MB): ${builds.map((b) => `${b} ${bandwidth[b].toFixed(1)}`).join(", ")} GB/s; % bw = W bytes / time over it.`);
  console.log(`ort-web: session.run of one Gemm node (transB = 1, W initializer (N, K)), input/output copies included.`);
  console.log(`tfjs: tf.matMul with W laid out (K, N); tfjs NK: W (N, K) and transposeB = true; every call includes dataSync().`);
  console.log(`attn_decode_f32 has no peer column: neither peer has an attention over a compact GQA cache; Melem/s counts 2 * n_kv * head_dim * n_heads per call.`);
}
