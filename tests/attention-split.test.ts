// Prefill attention split by query rows over a thread pool (splitAttnPrefill): the same bits as
// one attnPrefill call on random shapes (odd sizes, a cache longer than the chunk), for 2 and 3
// threads, both builds and every KV row type (f32, f16, q8_0); rows cut into parts of equal causal work; the accumulator case stays
// on one thread.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, skipReason } from "./helpers/runtimes.ts";
import { createRuntime, canShareMemory } from "../src/wasm/runtime.ts";
import { ThreadPool } from "../src/wasm/threads.ts";
import { attnPrefill, attnPrefillScoresFloats, type AttnPrefillOptions } from "../src/wasm/ops/attention.ts";
import { KV_TYPES } from "../src/kv/kv-type.ts";
import { randomKVRows } from "./helpers/kv-rows.ts";
import { ATTN_SPLIT_MIN_WORK, POOL_KERNELS, causalCuts, splitAttnPrefill } from "../src/wasm/ops/parallel.ts";

describe("causalCuts", () => {
  it("cuts [0, m) into ascending parts of about equal causal work", () => {
    for (const [threads, m, nKv] of [[2, 512, 512], [3, 100, 400], [2, 7, 7], [4, 3, 10], [2, 1, 1], [8, 1000, 1000]]) {
      const cuts = new Int32Array(threads + 1);
      causalCuts(cuts, threads, m, nKv);
      assert.equal(cuts[0], 0);
      assert.equal(cuts[threads], m);
      for (let t = 0; t < threads; t++) assert.ok(cuts[t] <= cuts[t + 1], `${cuts}`);
      const nPast = nKv - m, cost = (a: number, b: number) => { let s = 0; for (let i = a; i < b; i++) s += nPast + i + 1; return s; };
      const total = cost(0, m), rowMax = nKv;
      for (let t = 0; t < threads; t++) assert.ok(Math.abs(cost(cuts[t], cuts[t + 1]) - total / threads) <= rowMax, `part ${t} of ${cuts}: ${cost(cuts[t], cuts[t + 1])} of ${total}`);
    }
    // the causal triangle over an empty past: 2 threads cut near m / sqrt(2) (row i costs i + 1, so a little below)
    const c = new Int32Array(3);
    causalCuts(c, 2, 512, 512);
    assert.ok(Math.abs(c[1] - 512 / Math.SQRT2) <= 2, `${c[1]}`);
  });
});

describe("splitAttnPrefill", () => {
  for (const build of WASM_BUILDS) {
    const skip = skipReason(build) ?? (canShareMemory() ? false : "no shared memory here");
    it(`${build}: the same bits as one thread`, { skip }, async () => {
      const rt = await createRuntime({ build, shared: true });
      for (const threads of [2, 3]) {
        const pool = await ThreadPool.create(rt, threads, POOL_KERNELS);
        assert.ok(pool, "this runtime could not start a worker thread");
        try {
          const r = new Rng(threads);
          for (const type of KV_TYPES) for (const [m, nPast, headDim, nGroup, nHeadsKv] of [[64, 0, 64, 3, 3], [37, 91, 48, 2, 2], [129, 5, 64, 1, 1], [200, 300, 16, 4, 2], [5, 2, 8, 1, 1], [300, 40, 8, 2, 1]]) {
            const qStride = nGroup * nHeadsKv * headDim, nKv = m + nPast, ctx = nKv + 3;
            const q = rt.tensor("f32", [m, qStride]).write(r.array(m * qStride));
            // K and V rows of the KV type (f16 and q8_0 rows rounded from random f32 rows)
            const rows = () => randomKVRows(rt, r, type, ctx, headDim);
            const k = rows(), v = rows();
            const one = rt.tensor("f32", [m, qStride]), split = rt.tensor("f32", [m, qStride]);
            const scratch = Array.from({ length: threads }, () => rt.tensor("f32", [attnPrefillScoresFloats(type, ctx)]));
            const cuts = new Int32Array(threads + 1);
            try {
              for (let h = 0; h < nHeadsKv; h++) {
                const o: AttnPrefillOptions = { m, nKv, headDim, nGroup, qStride, scale: 1 / Math.sqrt(headDim), scores: scratch[0], qOffset: h * nGroup * headDim, type };
                attnPrefill(one, q, k, v, o);
                splitAttnPrefill(pool!, split, q, k, v, o, scratch, cuts);
                assert.equal(o.i0, undefined);
              }
              const work = nGroup * headDim * (m * nPast + (m * (m + 1)) / 2);
              assert.deepEqual(split.toFloat32Array(), one.toFloat32Array(), `${type}: m ${m}, nKv ${nKv}, headDim ${headDim}, nGroup ${nGroup}: ${work >= ATTN_SPLIT_MIN_WORK ? "split" : "one thread"}`);
            } finally {
              for (const t of [q, k, v, one, split, ...scratch]) t.dispose();
            }
          }
        } finally {
          pool!.dispose();
        }
      }
    });
  }

  it("bad arguments are one RangeError, before any thread runs", { skip: canShareMemory() ? false : "no shared memory here" }, async () => {
    const rt = await createRuntime({ build: "simd", shared: true });
    const pool = await ThreadPool.create(rt, 2, POOL_KERNELS);
    const [m, headDim] = [128, 64];
    const q = rt.tensor("f32", [m, headDim]), k = rt.tensor("f32", [m, headDim]), v = rt.tensor("f32", [m, headDim]), out = rt.tensor("f32", [m, headDim]);
    const small = rt.tensor("f32", [8]), big = rt.tensor("f32", [2 * m]);
    try {
      const o: AttnPrefillOptions = { m, nKv: m, headDim, nGroup: 1, qStride: headDim, scale: 0.125, scores: big };
      assert.throws(() => splitAttnPrefill(pool!, out, q, k, v, o, [big, small], new Int32Array(3)), /scratch\[1\] holds 8 floats, needs 256 \(nKv = 128, f32 rows\)/);
      assert.throws(() => splitAttnPrefill(pool!, out, q, k, v, { ...o, nKv: m - 1 }, [big, big], new Int32Array(3)), /m = 128 query tokens but only nKv = 127/);
    } finally {
      pool!.dispose();
      for (const t of [q, k, v, out, small, big]) t.dispose();
    }
  });
});
