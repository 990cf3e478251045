import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/aggregate.ts";
import { attnWindowScores, pool1d, topk, topkInto } from "../src/wasm/ops/aggregate.ts";
import { attnDecode } from "../src/wasm/ops/attention.ts";

// Window scores: each added weight carries the softmax error of attention.test.ts (< ~2e-6
// relative, from f32 dots and the polynomial exp); a sum of up to 40 rows adds f32 rounding of
// ~40 ulp of the total. Pool1d and top-k do the reference's exact arithmetic: tolerance 0.
const WS_ATOL = 1e-7, WS_RTOL = 2e-5;

for (const build of WASM_BUILDS) {
  describe(`aggregate (${build})`, { skip: skipReason(build) }, () => {
    it("attn_window_scores_f32 matches the reference on 220 random shapes (w past the sequence included)", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(21);
      for (let t = 0; t < 220; t++) {
        const headDim = t % 9 === 0 ? 64 : rng.int(1, 70);
        const nKv = t < 4 ? t : rng.int(1, t % 5 === 0 ? 400 : 90);
        const w = t % 6 === 0 ? nKv + rng.int(0, 5) : rng.int(0, Math.min(nKv, 40));
        const nGroup = rng.int(1, 4), nKvHeads = rng.int(1, 2), kvHead = rng.int(0, nKvHeads - 1);
        const qStride = nKvHeads * nGroup * headDim, qOffset = kvHead * nGroup * headDim;
        const we = Math.min(w, nKv), mode = rng.int(0, 1);
        const scale = 1 / Math.sqrt(headDim);
        const qw = rng.array(Math.max(we, 1) * qStride, rng.next() < 0.3 ? 4 : 1), k = rng.array(nKv * headDim);
        const tq = rt.fromArray(qw), tk = rt.fromArray(k), tout = rt.fromArray(rng.array(nGroup * nKv, 5)), ts = rt.zeros([nKv]);
        attnWindowScores(tout, tq, tk, { w, nKv, headDim, nGroup, qStride, scale, mode: mode ? "mean" : "sum", qOffset, scores: ts });
        const want = new Float32Array(nGroup * nKv);
        ref.attn_window_scores_f32(qw.subarray(qOffset), k, want, w, nKv, headDim, nGroup, qStride, scale, mode);
        const what = `w=${w} nKv=${nKv} headDim=${headDim} nGroup=${nGroup} mode=${mode}`;
        assertClose(tout.f32(), want, WS_ATOL, WS_RTOL, what);
        // each window query adds one softmax row: a head's scores total we (sum) or 1 (mean)
        for (let g = 0; g < nGroup && we > 0; g++) {
          const tot = tout.f32().subarray(g * nKv, (g + 1) * nKv).reduce((a, b) => a + b, 0);
          assertClose([tot], [mode ? 1 : we], 1e-4, 1e-5, `row total ${what}`);
        }
        for (const x of [tq, tk, tout, ts]) x.dispose();
      }
    });

    it("a window of 1 is the last query's decode attention; causal rows get 0", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(22);
      const headDim = 13, nKv = 29, nGroup = 3, scale = 0.3;
      const q = rt.fromArray(rng.array(nGroup * headDim, 2)), k = rt.fromArray(rng.array(nKv * headDim));
      const out = rt.zeros([nGroup * nKv]), s = rt.zeros([nGroup * nKv]), o = rt.zeros([nGroup * headDim]);
      const row = rt.zeros([nKv]);
      attnWindowScores(out, q, k, { w: 1, nKv, headDim, nGroup, qStride: nGroup * headDim, scale, mode: "sum", scores: row });
      attnDecode(o, q, k, k, { nKv, headDim, nGroup, scale, scores: s });
      // the same scores row and softmax row as the attention kernels: the same bits
      assert.deepEqual(out.f32(), s.f32(), "w = 1");
      // w = 3: query 0 sees rows [0, nKv - 3], so the last two rows only get weight from queries 1, 2
      const q3 = rt.fromArray(rng.array(3 * nGroup * headDim));
      attnWindowScores(out, q3, k, { w: 3, nKv, headDim, nGroup: 1, qStride: nGroup * headDim, scale, mode: "sum", scores: row });
      const want = new Float32Array(nKv);
      ref.attn_window_scores_f32(q3.f32(), k.f32(), want, 3, nKv, headDim, 1, nGroup * headDim, scale, 0);
      assertClose(out.f32().subarray(0, nKv), want, WS_ATOL, WS_RTOL, "w = 3");
      assert.ok(out.f32()[nKv - 1] < 1 && out.f32()[nKv - 1] > 0);
      for (const x of [q, k, out, s, o, q3, row]) x.dispose();
    });

    it("pool1d_f32 equals the reference exactly on 240 random shapes, kernels and row ranges", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(23);
      for (let t = 0; t < 240; t++) {
        const rows = rng.int(1, 5), n = t < 8 ? t : rng.int(1, t % 4 === 0 ? 600 : 60);
        const kernel = 2 * rng.int(0, t % 3 === 0 ? 12 : 4) + 1, mode = rng.int(0, 1);
        const r0 = rng.int(0, rows), r1 = rng.int(r0, rows);
        const x = rng.array(rows * n, 3), y0 = rng.array(rows * n, 9);
        const tx = rt.fromArray(x, [rows, n]), ty = rt.fromArray(y0, [rows, n]);
        pool1d(ty, tx, { kernel, mode: mode ? "avg" : "max", r0, r1 });
        const want = y0.slice();
        ref.pool1d_f32(x, want, n, kernel, mode, r0, r1);
        assertClose(ty.f32(), want, 0, 0, `pool1d rows=${rows} n=${n} kernel=${kernel} mode=${mode} [${r0}, ${r1})`);
        tx.dispose(); ty.dispose();
      }
    });

    it("pool1d: hand example, kernel 1 copies, NaN spreads over its window under max", async () => {
      const rt = await runtimeFor(build);
      const x = rt.fromArray([1, 5, 2, 0, 3, 4, -1]), y = rt.zeros([7]);
      pool1d(y, x, { kernel: 3, mode: "max" });
      assert.deepEqual([...y.f32()], [5, 5, 5, 3, 4, 4, 4]);
      pool1d(y, x, { kernel: 3, mode: "avg" });
      assertClose(y.f32(), [3, 8 / 3, 7 / 3, 5 / 3, 7 / 3, 2, 1.5], 0, 1e-7, "avg, edges divide by the in-range count");
      pool1d(y, x, { kernel: 1, mode: "avg" });
      assert.deepEqual([...y.f32()], [1, 5, 2, 0, 3, 4, -1]);
      x.write([0, 0, 0, NaN, 0, 0, 0, 0, 0].slice(0, 7));
      pool1d(y, x, { kernel: 3, mode: "max" });
      assert.deepEqual([...y.f32()].map(Number.isNaN), [false, false, true, true, true, false, false]);
      assert.throws(() => pool1d(y, x, { kernel: 4, mode: "max" }), /odd/);
      assert.throws(() => pool1d(x, x, { kernel: 3, mode: "max" }), /overlaps/);
      x.dispose(); y.dispose();
    });

    it("topk_f32 equals the reference on 260 random inputs with ties, NaN, -inf and signed zeros", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(24);
      for (let t = 0; t < 260; t++) {
        const n = t < 6 ? t : rng.int(1, t % 5 === 0 ? 3000 : 80);
        const k = rng.int(0, n + 3), preferNewer = rng.next() < 0.5;
        const levels = rng.int(1, 6); // few distinct values: many ties
        const specials = [NaN, -Infinity, Infinity, 0, -0];
        const x = new Float32Array(n).map(() => (rng.next() < 0.1 ? specials[rng.int(0, 4)] : t % 2 ? rng.int(0, levels) : rng.uniform(1)));
        const tx = rt.fromArray(x);
        const got = topk(tx, k, { preferNewer });
        const want = new Int32Array(Math.min(k, n));
        ref.topk_f32(x, n, k, want, preferNewer ? 1 : 0);
        assert.deepEqual(got, want, `topk n=${n} k=${k} preferNewer=${preferNewer}`);
        tx.dispose();
      }
    });

    it("topk: hand example, ties both ways, k = 0, k >= n, NaN last, prefix n", async () => {
      const rt = await runtimeFor(build);
      const x = rt.fromArray([0.5, NaN, 2, 0.5, -Infinity, 2, 1]);
      assert.deepEqual([...topk(x, 4)], [2, 5, 6, 0]);
      assert.deepEqual([...topk(x, 4, { preferNewer: true })], [5, 2, 6, 3]);
      assert.deepEqual([...topk(x, 0)], []);
      assert.deepEqual([...topk(x, 100)], [2, 5, 6, 0, 3, 4, 1]);
      assert.deepEqual([...topk(x, 100, { preferNewer: true, n: 4 })], [2, 3, 0, 1]);
      const idx = rt.tensor("i32", [3]);
      idx.i32().fill(-7);
      assert.equal(topkInto(idx, x, 2), 2);
      assert.deepEqual([...idx.i32()], [2, 5, -7]);
      assert.throws(() => topkInto(idx, x, 4), /idx has 3/);
      x.dispose(); idx.dispose();
    });

    it("topk frees its temporary: heap use is flat over many calls", async () => {
      const rt = await runtimeFor(build);
      const x = rt.fromArray(new Rng(25).array(100));
      topk(x, 10);
      const before = rt.heap.stats.bytesInUse;
      for (let i = 0; i < 300; i++) topk(x, i % 120, { preferNewer: i % 2 === 1 });
      assert.equal(rt.heap.stats.bytesInUse, before);
      x.dispose();
    });
  });
}
