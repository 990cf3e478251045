// Neural-net element kernel benchmarks: softmax rows, rmsnorm, rope and silu_mul at Llama
// sizes. Each kernel's answer is checked against its TypeScript reference first, then timed
// with tinybench beside the reference itself (the plain JS peer) in the same run.
// Usage: node scripts/run-ts.mjs bench/nn.ts [--json]
import { Bench } from "tinybench";
import { createRuntime } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";
import { softmaxRows } from "../src/wasm/ops/softmax.ts";
import { rmsnorm } from "../src/wasm/ops/norm.ts";
import { rope, ropeTable } from "../src/wasm/ops/rope.ts";
import { siluMul } from "../src/wasm/ops/activation.ts";
import * as refSoftmax from "../src/ref/softmax.ts";
import * as refNorm from "../src/ref/norm.ts";
import * as refRope from "../src/ref/rope.ts";
import * as refAct from "../src/ref/activation.ts";
import { medianMs } from "./stats.ts";

const json = process.argv.includes("--json");
const rt = await createRuntime({ build: "auto" });

function rand(n: number, scale: number): Float32Array {
  return new Float32Array(n).map(() => (Math.random() * 2 - 1) * scale);
}

// max |got - want| / (atol + rtol |want|) must stay <= 1 (the tests' tolerances)
function check(name: string, got: Float32Array, want: Float32Array, atol: number, rtol: number): void {
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (!ok) throw new Error(`${name}: answer differs from the reference at ${i}: ${got[i]} vs ${want[i]}`);
  }
}

interface Row { name: string; fn: () => void; elems: number }
const rows: Row[] = [];
const owned: Tensor[] = [];

// softmax: 32 rows of 4096 (attention scores for 32 heads over a 4096-token context)
{
  const nRows = 32, n = 4096;
  const x = rand(nRows * n, 10);
  const tx = rt.fromArray(x, [nRows, n]), ty = rt.zeros([nRows, n]);
  owned.push(tx, ty);
  const want = new Float32Array(nRows * n);
  refSoftmax.softmax_rows_f32(x, want, n, 0, nRows, null, -1);
  softmaxRows(ty, tx);
  check("softmax_rows_f32", ty.f32(), want, 1e-9, 1e-5);
  const out = new Float32Array(nRows * n);
  rows.push({ name: `softmax_rows_f32 32x4096 (budgetkv ${rt.build})`, fn: () => softmaxRows(ty, tx), elems: nRows * n });
  rows.push({ name: "softmax_rows_f32 32x4096 (plain JS, peer)", fn: () => refSoftmax.softmax_rows_f32(x, out, n, 0, nRows, null, -1), elems: nRows * n });
}

// rmsnorm: 16 rows of 4096 (a prompt chunk at Llama-2-7B width)
{
  const nRows = 16, dim = 4096;
  const x = rand(nRows * dim, 3), w = rand(dim, 1);
  const tx = rt.fromArray(x, [nRows, dim]), tw = rt.fromArray(w), ty = rt.zeros([nRows, dim]);
  owned.push(tx, tw, ty);
  const want = new Float32Array(nRows * dim);
  refNorm.rmsnorm_f32(x, w, want, dim, 1e-5, 0, nRows);
  rmsnorm(ty, tx, tw, 1e-5);
  check("rmsnorm_f32", ty.f32(), want, 1e-30, 2e-5);
  const out = new Float32Array(nRows * dim);
  rows.push({ name: `rmsnorm_f32 16x4096 (budgetkv ${rt.build})`, fn: () => rmsnorm(ty, tx, tw, 1e-5), elems: nRows * dim });
  rows.push({ name: "rmsnorm_f32 16x4096 (plain JS, peer)", fn: () => refNorm.rmsnorm_f32(x, w, out, dim, 1e-5, 0, nRows), elems: nRows * dim });
}

// rope: 16 rows x 32 heads x 128 (q of a prompt chunk), both conventions; rotating in place
// repeatedly is fine for timing (values stay bounded: rotations keep norms)
{
  const nRows = 16, nHeads = 32, headDim = 128, maxPos = 4096;
  const table = ropeTable(rt, { rotDim: headDim, theta: 500000, maxPos });
  const pos = rt.tensor("i32", [nRows]);
  pos.i32().set(Array.from({ length: nRows }, (_, i) => 1000 + i));
  owned.push(table, pos);
  const cs = table.toFloat32Array(), p = pos.i32().slice();
  for (const style of ["pairs", "half"] as const) {
    const x = rand(nRows * nHeads * headDim, 2);
    const tx = rt.fromArray(x);
    owned.push(tx);
    const o = { nHeads, headDim, rotDim: headDim, style };
    const want = x.slice();
    (style === "pairs" ? refRope.rope_pairs_f32 : refRope.rope_half_f32)(want, cs, p, nHeads, headDim, headDim, 0, nRows);
    rope(tx, table, pos, o);
    check(`rope_${style}_f32`, tx.f32(), want, 0, 0);
    const jx = x.slice();
    const refFn = style === "pairs" ? refRope.rope_pairs_f32 : refRope.rope_half_f32;
    rows.push({ name: `rope_${style}_f32 16x32x128 (budgetkv ${rt.build})`, fn: () => rope(tx, table, pos, o), elems: x.length });
    rows.push({ name: `rope_${style}_f32 16x32x128 (plain JS, peer)`, fn: () => refFn(jx, cs, p, nHeads, headDim, headDim, 0, nRows), elems: x.length });
  }
}

// silu_mul: one token's FFN gate at Llama-2-7B width (11008)
{
  const n = 11008;
  const a = rand(n, 6), b = rand(n, 2);
  const ta = rt.fromArray(a), tb = rt.fromArray(b), ty = rt.zeros([n]);
  owned.push(ta, tb, ty);
  const want = new Float32Array(n);
  refAct.silu_mul_f32(a, b, want, 0, n);
  siluMul(ty, ta, tb);
  check("silu_mul_f32", ty.f32(), want, 1e-41, 1e-6);
  const out = new Float32Array(n);
  rows.push({ name: `silu_mul_f32 11008 (budgetkv ${rt.build})`, fn: () => siluMul(ty, ta, tb), elems: n });
  rows.push({ name: "silu_mul_f32 11008 (plain JS, peer)", fn: () => refAct.silu_mul_f32(a, b, out, 0, n), elems: n });
}

const bench = new Bench({ time: 300 });
for (const r of rows) bench.add(r.name, r.fn);
await bench.run();
const table = bench.tasks.map((t, i) => ({
  name: t.name,
  median_ms: +medianMs(t).toFixed(4),
  melem_s: +(rows[i].elems / (medianMs(t) * 1e3)).toFixed(1),
}));
for (const t of owned) t.dispose();
if (json) console.log(JSON.stringify({ build: rt.build, rows: table }, null, 2));
else console.table(table);
