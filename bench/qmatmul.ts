// Quantized gemv benchmark: y = deq(W) x for W (n_out, n_in) in q8_0 / q4_0 / q4_k / q6_k, with f32
// activations (gemv_<t>) and, where the type has one, the integer-dot kernel (gemv_<t>_<a>, timed
// with the activation row's quantization included, as the model runs it).
// Each kernel's answer is checked against the reference first, then timed with tinybench beside
// two peers measured in the same run: a plain JS f32 gemv loop over the already-dequantized
// weights (4 bytes per weight) and the TypeScript reference (src/ref/qmatmul.ts).
// Reports GFLOP/s (2 n_out n_in per call) and effective GB/s of weight bytes read.
// Usage: node scripts/run-ts.mjs bench/qmatmul.ts [--json] [--quick]
import { Bench } from "tinybench";
import { createRuntime } from "../src/wasm/runtime.ts";
import { Q_KERNEL_DTYPES, actRowBytes, gemvQ, gemvQInt, intDotAct, quantizeRows } from "../src/wasm/ops/qmatmul.ts";
import * as ref from "../src/ref/qmatmul.ts";
import * as refAct from "../src/ref/qact.ts";
import { dequantizeRow, quantizeRow } from "../src/quant/index.ts";
import { medianMs } from "./stats.ts";

const json = process.argv.includes("--json");
const quick = process.argv.includes("--quick");
const rt = await createRuntime({ build: "auto" });
const SHAPES: [number, number][] = quick ? [[576, 1536]] : [[576, 1536], [2048, 8192]]; // (n_out, n_in)

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(n).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

// plain JS f32 gemv: the peer
function gemvF32(W: Float32Array, x: Float32Array, y: Float32Array, n_out: number, n_in: number): void {
  for (let r = 0; r < n_out; r++) {
    let s = 0;
    const o = r * n_in;
    for (let k = 0; k < n_in; k++) s += W[o + k] * x[k];
    y[r] = s;
  }
}

const rows: { name: string; median_ms: number; gflop_s: number; weight_gb_s: number }[] = [];
for (const [n_out, n_in] of SHAPES) {
  const Wsrc = rand(n_out * n_in, 1), x = rand(n_in, 2);
  const flop = 2 * n_out * n_in;
  const bench = new Bench({ time: quick ? 100 : 400 });
  const bytes = new Map<string, number>();
  const cleanup: (() => void)[] = [];
  let Wf32: Float32Array | undefined;
  for (const t of Q_KERNEL_DTYPES) {
    const rb = ref.rowBytes(t, n_in);
    const W = new Uint8Array(n_out * rb);
    for (let r = 0; r < n_out; r++) W.set(quantizeRow(t, Wsrc.subarray(r * n_in, (r + 1) * n_in)), r * rb);
    const tw = rt.tensor(t, [n_out, n_in]).write(W), tx = rt.fromArray(x), ty = rt.zeros([n_out]);
    cleanup.push(() => { tw.dispose(); tx.dispose(); ty.dispose(); });
    // check the answer first
    const want = new Float32Array(n_out);
    ref.gemv_q(t, W, x, want, n_in, 0, n_out);
    gemvQ(ty, tw, tx);
    const Wd = new Float32Array(n_in);
    for (let r = 0; r < n_out; r++) {
      dequantizeRow(t, W.subarray(r * rb), n_in, Wd);
      let sabs = 0;
      for (let k = 0; k < n_in; k++) sabs += Math.abs(Wd[k] * x[k]);
      const got = ty.f32()[r];
      if (!(Math.abs(got - want[r]) <= 1e-5 * sabs)) throw new Error(`gemv_${t} ${n_out}x${n_in}: row ${r} got ${got}, reference ${want[r]}`);
    }
    if (t === "q8_0") {
      Wf32 = new Float32Array(n_out * n_in);
      for (let r = 0; r < n_out; r++) dequantizeRow(t, W.subarray(r * rb), n_in, Wf32, r * n_in);
    }
    const name = `gemv_${t} ${n_out}x${n_in} (budgetkv ${rt.build})`;
    bytes.set(name, W.length);
    bench.add(name, () => gemvQ(ty, tw, tx));
    const act = intDotAct(t);
    if (act !== undefined) {
      const tq = rt.tensor("u8", [actRowBytes(act, n_in)]), ti = rt.zeros([n_out]);
      cleanup.push(() => { tq.dispose(); ti.dispose(); });
      // check the answer first: bit-exact with the reference's quantize-then-integer-dot
      const xq = new Uint8Array(actRowBytes(act, n_in)), wantI = new Float32Array(n_out);
      if (act === "q8_0") { refAct.quantize_rows_q8_0(x, xq, n_in, 1); ref.gemv_q_q8_0(t, W, xq, wantI, n_in, 0, n_out); }
      else { refAct.quantize_rows_q8_k(x, xq, n_in, 1); ref.gemv_q_q8_k(t, W, xq, wantI, n_in, 0, n_out); }
      quantizeRows(act, tq, tx, n_in);
      gemvQInt(ti, tw, tq);
      for (let r = 0; r < n_out; r++) if (!Object.is(ti.f32()[r], wantI[r])) throw new Error(`gemv_${t}_${act} ${n_out}x${n_in}: row ${r} got ${ti.f32()[r]}, reference ${wantI[r]}`);
      const iname = `gemv_${t}_${act} ${n_out}x${n_in} (budgetkv ${rt.build}, int dot + quantize x)`;
      bytes.set(iname, W.length);
      bench.add(iname, () => { quantizeRows(act, tq, tx, n_in); gemvQInt(ti, tw, tq); });
    }
    if (t === "q8_0") {
      const refName = `gemv_${t} ${n_out}x${n_in} (TS reference: dequantizeRow + f64 dot)`;
      bytes.set(refName, W.length);
      const yr = new Float32Array(n_out);
      bench.add(refName, () => ref.gemv_q(t, W, x, yr, n_in, 0, n_out));
    }
  }
  const peer = `gemv_f32 ${n_out}x${n_in} (plain JS loop over f32 weights, peer)`;
  bytes.set(peer, 4 * n_out * n_in);
  const yp = new Float32Array(n_out);
  bench.add(peer, () => gemvF32(Wf32!, x, yp, n_out, n_in));
  await bench.run();
  for (const task of bench.tasks) {
    const ms = medianMs(task);
    rows.push({ name: task.name, median_ms: +ms.toFixed(3), gflop_s: +(flop / (ms * 1e6)).toFixed(2), weight_gb_s: +(bytes.get(task.name)! / (ms * 1e6)).toFixed(2) });
  }
  for (const c of cleanup) c();
}
if (json) console.log(JSON.stringify({ build: rt.build, rows }, null, 2));
else console.table(rows);
