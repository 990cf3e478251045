// Quantized gemm benchmark (prefill): Y (m, n_out) = X (m, n_in) @ deq(W)^T for W in q8_0 / q5_0 /
// q4_k / q6_k (gemm_<t>, weights decoded panel by panel into the packed outer-product layout for
// m >= 16), beside the f32 packed gemm on the same weights already dequantized (gemm_f32, the rate
// the quantized gemm aims at: same tiles, no decoding) measured in the same run.
// Each answer is checked against the reference first (src/ref/qmatmul.ts), then timed with tinybench.
// Shapes: SmolLM2-135M's (576 x 576 attention, 1536 x 576 gate/up, 576 x 1536 down), m = 64 (a
// prefill chunk) unless --m gives a list.
// Usage: node scripts/run-ts.mjs bench/qgemm.ts [--build relaxed|simd] [--m 64,512] [--json] [--quick]
import { Bench } from "tinybench";
import { createRuntime } from "../src/wasm/runtime.ts";
import { gemm, gemmF32ScratchFloats } from "../src/wasm/ops/matmul.ts";
import { gemmQ, gemmScratchFloats, type QKernelDType } from "../src/wasm/ops/qmatmul.ts";
import * as ref from "../src/ref/qmatmul.ts";
import { dequantizeRow, quantizeRow } from "../src/quant/index.ts";
import { DTYPE_BLOCK } from "../src/wasm/dtype.ts";
import { medianMs } from "./stats.ts";

const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i < 0 ? undefined : process.argv[i + 1]; };
const json = process.argv.includes("--json");
const quick = process.argv.includes("--quick");
const rt = await createRuntime({ build: (arg("--build") ?? "auto") as "auto" });
const MS = (arg("--m") ?? "64").split(",").map(Number);
const SHAPES: [number, number][] = quick ? [[576, 576]] : [[576, 576], [1536, 576], [576, 1536]]; // (n_out, n_in)
const TYPES: QKernelDType[] = ["q8_0", "q5_0", "q4_k", "q6_k"];

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(n).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const rows: { name: string; median_ms: number; gflop_s: number; vs_f32: number }[] = [];
for (const m of MS) {
  for (const [n_out, n_in] of SHAPES) {
    const Wsrc = rand(n_out * n_in, 1), X = rand(m * n_in, 2);
    const flop = 2 * m * n_out * n_in;
    const bench = new Bench({ time: quick ? 100 : 400 });
    const tX = rt.fromArray(X, [m, n_in]), tY = rt.zeros([m, n_out]);
    const S = rt.zeros([Math.max(gemmScratchFloats(n_in, m), gemmF32ScratchFloats(m))]);
    const cleanup: (() => void)[] = [() => { tX.dispose(); tY.dispose(); S.dispose(); }];
    let f32Name = "";
    for (const t of TYPES) {
      if (n_in % DTYPE_BLOCK[t][0] !== 0) continue;
      const rb = ref.rowBytes(t, n_in);
      const W = new Uint8Array(n_out * rb), Wf = new Float32Array(n_out * n_in);
      for (let r = 0; r < n_out; r++) {
        W.set(quantizeRow(t, Wsrc.subarray(r * n_in, (r + 1) * n_in)), r * rb);
        dequantizeRow(t, W.subarray(r * rb), n_in, Wf, r * n_in);
      }
      const tw = rt.tensor(t, [n_out, n_in]).write(W);
      cleanup.push(() => tw.dispose());
      // check the answer first: each output within the packed form's rounding bound
      const want = new Float32Array(m * n_out);
      ref.gemm_q(t, X, W, want, m, n_in, n_out, 0, n_out);
      gemmQ(tY, tX, tw, S, m);
      const Y = tY.f32();
      for (let i = 0; i < m * n_out; i++) {
        const r = Math.floor(i / n_out), c = i % n_out;
        let sabs = 0;
        for (let k = 0; k < n_in; k++) sabs += Math.abs(Wf[c * n_in + k] * X[r * n_in + k]);
        if (!(Math.abs(Y[i] - want[i]) <= (n_in + 2) * 2 ** -24 * sabs)) throw new Error(`gemm_${t} m=${m} ${n_out}x${n_in}: Y[${r}, ${c}] got ${Y[i]}, reference ${want[i]}`);
      }
      for (let i = 0; i < 20; i++) gemmQ(tY, tX, tw, S, m); // warm: wasm tiers up from baseline code while it runs
      bench.add(`gemm_${t} m=${m} ${n_out}x${n_in} (budgetkv ${rt.build})`, () => gemmQ(tY, tX, tw, S, m));
      if (t === "q8_0") {
        const tf = rt.fromArray(Wf, [n_out, n_in]);
        cleanup.push(() => tf.dispose());
        f32Name = `gemm_f32 m=${m} ${n_out}x${n_in} (budgetkv ${rt.build}, the q8_0 weights dequantized: peer)`;
        for (let i = 0; i < 20; i++) gemm(tY, tX, tf, S, m);
        bench.add(f32Name, () => gemm(tY, tX, tf, S, m));
      }
    }
    await bench.run();
    const f32Ms = medianMs(bench.tasks.find((k) => k.name === f32Name)!);
    for (const task of bench.tasks) {
      const ms = medianMs(task);
      rows.push({ name: task.name, median_ms: +ms.toFixed(3), gflop_s: +(flop / (ms * 1e6)).toFixed(2), vs_f32: +(f32Ms / ms).toFixed(2) });
    }
    for (const c of cleanup) c();
  }
}
if (json) console.log(JSON.stringify({ build: rt.build, rows }, null, 2));
else console.table(rows);
