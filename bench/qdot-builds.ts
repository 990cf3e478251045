// Integer-dot gemv per kernel build: gemv_<t>_<a> (the activation row quantized first, as decode
// runs it) in the relaxed build against the simd build, on the SmolLM2-135M decode shapes.
// Both builds' answers are checked first (bit-exact with the reference and with each other),
// then each rep times a batch of calls on one build and then the other (the order alternating
// rep by rep), because this machine's speed drifts between runs: only the per-rep ratios
// relaxed / simd, and their median, mean anything. Each batch is timed twice: wall clock and the
// process's CPU time (process.cpuUsage, user + system), which a loaded machine disturbs less
// (the process is not charged while it waits for a core); both ratios are reported.
//   node scripts/run-ts.mjs bench/qdot-builds.ts [--reps 9] [--only q4_k] [--shape 576x1536,...] [--json]
// Shapes are (n_out)x(n_in); a type runs on the shapes whose n_in is a multiple of its block.
import { createRuntime, type Runtime } from "../src/wasm/runtime.ts";
import { INT_DOT_ACT, INT_DOT_DTYPES, actRowBytes, gemvQInt, quantizeRows } from "../src/wasm/ops/qmatmul.ts";
import * as ref from "../src/ref/qmatmul.ts";
import * as refAct from "../src/ref/qact.ts";
import { quantizeRow } from "../src/quant/index.ts";
import { median } from "../src/util/stats.ts";

const args = process.argv.slice(2);
const flag = (name: string, def?: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const reps = Number(flag("--reps", "9")), only = flag("--only"), json = args.includes("--json");
// ffn_down (576 x 1536), ffn_gate / up (1536 x 576), the output head (49152 x 576)
const SHAPES = flag("--shape", "576x1536,1536x576,49152x576")!.split(",").map((s) => s.split("x").map(Number) as [number, number]);
const BUILDS = ["relaxed", "simd"] as const;
const BLOCK = { q8_0: 32, q8_k: 256 } as const;

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(n).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const rts: Runtime[] = await Promise.all(BUILDS.map((build) => createRuntime({ build })));
interface Row { kernel: string; shape: string; relaxed_ms: number; simd_ms: number; relaxed_cpu_ms: number; simd_cpu_ms: number; ratio: number; ratios: number[]; cpu_ratio: number; cpu_ratios: number[]; relaxed_weight_gb_s: number }
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const rows: Row[] = [];
for (const [n_out, n_in] of SHAPES) {
  const Wsrc = rand(n_out * n_in, 1), x = rand(n_in, 2);
  for (const t of INT_DOT_DTYPES) {
    const a = INT_DOT_ACT[t];
    if (only && !t.includes(only)) continue;
    if (n_in % BLOCK[a] !== 0) continue;
    const rb = ref.rowBytes(t, n_in), W = new Uint8Array(n_out * rb);
    for (let r = 0; r < n_out; r++) W.set(quantizeRow(t, Wsrc.subarray(r * n_in, (r + 1) * n_in)), r * rb);
    const xq = new Uint8Array(actRowBytes(a, n_in)), want = new Float32Array(n_out);
    if (a === "q8_0") { refAct.quantize_rows_q8_0(x, xq, n_in, 1); ref.gemv_q_q8_0(t, W, xq, want, n_in, 0, n_out); }
    else { refAct.quantize_rows_q8_k(x, xq, n_in, 1); ref.gemv_q_q8_k(t, W, xq, want, n_in, 0, n_out); }
    const sides = rts.map((rt) => {
      const tw = rt.tensor(t, [n_out, n_in]).write(W), tx = rt.fromArray(x), tq = rt.tensor("u8", [xq.length]), ty = rt.zeros([n_out]);
      const call = () => { quantizeRows(a, tq, tx, n_in); gemvQInt(ty, tw, tq); };
      call();
      const got = ty.f32();
      for (let r = 0; r < n_out; r++) if (!Object.is(got[r], want[r])) throw new Error(`gemv_${t}_${a} ${n_out}x${n_in} (${rt.build}): row ${r} got ${got[r]}, reference ${want[r]}`);
      return { call, dispose: () => { tw.dispose(); tx.dispose(); tq.dispose(); ty.dispose(); } };
    });
    // calls per batch: about 30 ms of CPU time for each build
    let c0 = cpuMs(), k = 0;
    while (cpuMs() - c0 < 60 || k < 3) { sides[0].call(); sides[1].call(); k++; }
    const batch = Math.max(3, k);
    const ms: number[][] = [[], []], cpu: number[][] = [[], []];
    for (let rep = 0; rep < reps; rep++) {
      for (const i of rep % 2 === 0 ? [0, 1] : [1, 0]) {
        const t0 = performance.now();
        c0 = cpuMs();
        for (let c = 0; c < batch; c++) sides[i].call();
        cpu[i].push((cpuMs() - c0) / batch);
        ms[i].push((performance.now() - t0) / batch);
      }
    }
    const ratios = ms[0].map((v, i) => ms[1][i] / v); // speed relaxed / simd
    const cpuRatios = cpu[0].map((v, i) => cpu[1][i] / v);
    const row: Row = {
      kernel: `gemv_${t}_${a}`, shape: `${n_out}x${n_in}`, relaxed_ms: median(ms[0]), simd_ms: median(ms[1]), relaxed_cpu_ms: median(cpu[0]), simd_cpu_ms: median(cpu[1]),
      ratio: median(ratios), ratios: ratios.map((r) => +r.toFixed(3)), cpu_ratio: median(cpuRatios), cpu_ratios: cpuRatios.map((r) => +r.toFixed(3)), relaxed_weight_gb_s: W.length / (median(ms[0]) * 1e6),
    };
    rows.push(row);
    if (!json) console.error(`${row.kernel} ${row.shape}: relaxed / simd speed x${row.ratio.toFixed(2)} wall (reps ${row.ratios.join(" ")}), x${row.cpu_ratio.toFixed(2)} CPU time (reps ${row.cpu_ratios.join(" ")})`);
    for (const s of sides) s.dispose();
  }
}
if (json) console.log(JSON.stringify({ reps, rows }, null, 2));
else console.table(rows.map((r) => ({
  kernel: r.kernel, "n_out x n_in": r.shape, "relaxed ms": r.relaxed_ms.toFixed(3), "simd ms": r.simd_ms.toFixed(3),
  "speed relaxed / simd (wall)": r.ratio.toFixed(2), "(CPU time)": r.cpu_ratio.toFixed(2), "relaxed weight GB/s": r.relaxed_weight_gb_s.toFixed(2),
})));
