// Attention and KV-selection benchmarks, shaped like SmolLM2-135M (head_dim 64, 9 query heads
// over 3 KV heads). Every kernel's answer is checked against its reference first, then timed with
// tinybench beside the plain TypeScript reference as the peer. `--json` prints one JSON object.
// Decode reports elements/s = n_kv * head_dim * n_heads * 2 / s (K and V each read once per query head).
import { Bench } from "tinybench";
import { createRuntime } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";
import { attnDecode } from "../src/wasm/ops/attention.ts";
import { attnWindowScores, pool1d, topk } from "../src/wasm/ops/aggregate.ts";
import { dbudgetCut, nucleusCut } from "../src/wasm/ops/dbudget.ts";
import * as refAttn from "../src/ref/attention.ts";
import * as refAgg from "../src/ref/aggregate.ts";
import * as refCut from "../src/ref/dbudget.ts";
import { Rng } from "../tests/helpers/rand.ts";
import { medianMs } from "./stats.ts";

const json = process.argv.includes("--json");
const rt = await createRuntime({ build: "auto" });
const rng = new Rng(7);
const HEAD_DIM = 64, N_HEADS = 9, N_KV_HEADS = 3, N_GROUP = N_HEADS / N_KV_HEADS, SCALE = 1 / Math.sqrt(HEAD_DIM);
const owned: Tensor[] = [];
const keep = <T extends Tensor>(t: T): T => { owned.push(t); return t; };

function check(name: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): void {
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
      throw new Error(`${name}: answer differs from the reference at ${i}: ${got[i]} vs ${want[i]}`);
    }
  }
}

const bench = new Bench({ time: 300 });
const work = new Map<string, { per: number; unit: string }>();
function add(name: string, per: number, unit: string, fn: () => void): void {
  bench.add(name, fn);
  work.set(name, { per, unit });
}

// ---- decode: one token, all 9 query heads, one call per KV head -----------------------------
for (const nKv of [512, 2048]) {
  const q = rng.array(N_HEADS * HEAD_DIM);                      // (n_heads, head_dim)
  const k = rng.array(N_KV_HEADS * nKv * HEAD_DIM);             // (n_kv_heads, n_kv, head_dim)
  const v = rng.array(N_KV_HEADS * nKv * HEAD_DIM);
  const tq = keep(rt.fromArray(q)), tk = keep(rt.fromArray(k)), tv = keep(rt.fromArray(v));
  const tout = keep(rt.zeros([N_HEADS * HEAD_DIM])), ts = keep(rt.zeros([N_GROUP * nKv]));
  const step = () => {
    for (let h = 0; h < N_KV_HEADS; h++) {
      const off = h * N_GROUP * HEAD_DIM, kv = h * nKv * HEAD_DIM;
      attnDecode(tout, tq, tk, tv, { nKv, headDim: HEAD_DIM, nGroup: N_GROUP, scale: SCALE, scores: ts, qOffset: off, outOffset: off, kOffset: kv, vOffset: kv });
    }
  };
  const want = new Float32Array(N_HEADS * HEAD_DIM), ws = new Float32Array(N_GROUP * nKv);
  const refStep = () => {
    for (let h = 0; h < N_KV_HEADS; h++) {
      const off = h * N_GROUP * HEAD_DIM, kv = h * nKv * HEAD_DIM;
      refAttn.attn_decode_f32(q.subarray(off), k.subarray(kv), v.subarray(kv), want.subarray(off), ws, nKv, HEAD_DIM, N_GROUP, SCALE);
    }
  };
  step(); refStep();
  check(`attn_decode_f32 n_kv=${nKv}`, tout.f32(), want, 2e-6, 1e-5);
  const per = nKv * HEAD_DIM * N_HEADS * 2;
  add(`attn_decode_f32 n_kv=${nKv} 9q/3kv (budgetkv ${rt.build})`, per, "Melem/s", step);
  add(`attn_decode_f32 n_kv=${nKv} 9q/3kv (plain TS reference, peer)`, per, "Melem/s", refStep);
}

// ---- selection at prefill end: 2048 prompt tokens ------------------------------------------
const N = 2048, W = 32;
{
  // SnapKV / H2O observation window: last 32 queries of all 9 heads over one KV head's keys
  const qw = rng.array(W * N_HEADS * HEAD_DIM, 2), k = rng.array(N * HEAD_DIM);
  const tq = keep(rt.fromArray(qw)), tk = keep(rt.fromArray(k)), tout = keep(rt.zeros([N_GROUP * N])), trow = keep(rt.zeros([N]));
  const run = () => attnWindowScores(tout, tq, tk, { w: W, nKv: N, headDim: HEAD_DIM, nGroup: N_GROUP, qStride: N_HEADS * HEAD_DIM, scale: SCALE, mode: "sum", scores: trow });
  const want = new Float32Array(N_GROUP * N);
  const refRun = () => refAgg.attn_window_scores_f32(qw, k, want, W, N, HEAD_DIM, N_GROUP, N_HEADS * HEAD_DIM, SCALE, 0);
  run(); refRun();
  check("attn_window_scores_f32", tout.f32(), want, 1e-7, 2e-5);
  const per = W * N * HEAD_DIM * N_GROUP; // multiply-adds of one pass over the scores
  add(`attn_window_scores_f32 w=${W} n=${N} 3q/kv (budgetkv ${rt.build})`, per, "MFMA/s", run);
  add(`attn_window_scores_f32 w=${W} n=${N} 3q/kv (plain TS reference, peer)`, per, "MFMA/s", refRun);
}
{
  // SnapKV pooling: kernel 7 max over 9 score rows
  const x = rng.array(N_HEADS * N);
  const tx = keep(rt.fromArray(x, [N_HEADS, N])), ty = keep(rt.zeros([N_HEADS, N]));
  const want = new Float32Array(N_HEADS * N);
  const run = () => pool1d(ty, tx, { kernel: 7, mode: "max" });
  const refRun = () => refAgg.pool1d_f32(x, want, N, 7, 0, 0, N_HEADS);
  run(); refRun();
  check("pool1d_f32", ty.f32(), want, 0, 0);
  add(`pool1d_f32 max k=7 (9, ${N}) (budgetkv ${rt.build})`, N_HEADS * N, "Melem/s", run);
  add(`pool1d_f32 max k=7 (9, ${N}) (plain TS reference, peer)`, N_HEADS * N, "Melem/s", refRun);
}
{
  // top half of 2048 scores; the nucleus ranks all of them
  const x = rng.array(N);
  const tx = keep(rt.fromArray(x));
  const want = new Int32Array(N / 2);
  refAgg.topk_f32(x, N, N / 2, want, 1);
  check("topk_f32", topk(tx, N / 2, { preferNewer: true }), want, 0, 0);
  add(`topk_f32 k=${N / 2} n=${N} (budgetkv ${rt.build})`, N, "Melem/s", () => topk(tx, N / 2, { preferNewer: true }));
  add(`topk_f32 k=${N / 2} n=${N} (plain TS reference, peer)`, N, "Melem/s", () => refAgg.topk_f32(x, N, N / 2, want, 1));
}
{
  // the two cuts of one layer: 9 heads' last-token rows, candidates newest first without 4 sinks
  const a = new Float32Array(N_HEADS * N);
  for (let h = 0; h < N_HEADS; h++) {
    let sum = 0;
    for (let i = 0; i < N; i++) { a[h * N + i] = Math.exp(3 * rng.normal()); sum += a[h * N + i]; }
    for (let i = 0; i < N; i++) a[h * N + i] /= sum;
  }
  const order = Int32Array.from({ length: N - 4 }, (_, j) => N - 1 - j);
  const ta = keep(rt.fromArray(a, [N_HEADS, N])), to = keep(rt.tensor("i32", [N - 4]).write(order));
  const ts = keep(rt.fromArray(a.subarray(0, N)));
  const tol = 0.01;
  if (dbudgetCut(ta, to, tol) !== refCut.dbudget_cut_f32(a, N_HEADS, N, order, N - 4, tol)) throw new Error("dbudget_cut_f32: cut differs from the reference");
  if (nucleusCut(ts, to, tol) !== refCut.nucleus_cut_f32(a, N, order, N - 4, tol)) throw new Error("nucleus_cut_f32: cut differs from the reference");
  add(`dbudget_cut_f32 9 heads n=${N} (budgetkv ${rt.build})`, N_HEADS * N, "Melem/s", () => dbudgetCut(ta, to, tol));
  add(`dbudget_cut_f32 9 heads n=${N} (plain TS reference, peer)`, N_HEADS * N, "Melem/s", () => refCut.dbudget_cut_f32(a, N_HEADS, N, order, N - 4, tol));
  add(`nucleus_cut_f32 n=${N} (budgetkv ${rt.build})`, N, "Melem/s", () => nucleusCut(ts, to, tol));
  add(`nucleus_cut_f32 n=${N} (plain TS reference, peer)`, N, "Melem/s", () => refCut.nucleus_cut_f32(a, N, order, N - 4, tol));
}

await bench.run();
const rows = bench.tasks.map((t) => {
  const w = work.get(t.name)!;
  const ms = medianMs(t);
  return { name: t.name, median_ms: ms, rate: w.per / (ms * 1e3), unit: w.unit };
});
for (const t of owned) t.dispose();
if (json) console.log(JSON.stringify({ build: rt.build, rows }, null, 2));
else console.table(rows);
