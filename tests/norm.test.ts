import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/norm.ts";
import { rmsnorm } from "../src/wasm/ops/norm.ts";

// Tolerance: the reference sums squares in float64; the kernel sums in four f32 lanes
// (worst case about (dim/4 + 2) ulp of the sum, dim <= 2048 here, so < 4e-5 relative, halved
// by the square root; typical far less), then a few roundings in the scale and the products.
// 2e-5 relative holds with margin for the random data; outputs are never subnormal here.
const RTOL = 2e-5, ATOL = 1e-30;

for (const build of WASM_BUILDS) {
  describe(`rmsnorm_f32 (${build})`, { skip: skipReason(build) }, () => {
    it("matches the reference on 250 random shapes, epsilons and row ranges", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(21);
      for (let t = 0; t < 250; t++) {
        const dim = t < 20 ? t + 1 : rng.int(1, 2048);
        const rows = rng.int(1, 5);
        const eps = [1e-5, 1e-6, 0.5][t % 3];
        const x = rng.array(rows * dim, [1, 0.01, 40][t % 3]);
        const w = rng.array(dim, 2);
        const y0 = rng.array(rows * dim, 1);
        const r0 = rng.int(0, rows), r1 = rng.int(r0, rows);
        const alias = t % 4 === 3;
        const tx = rt.fromArray(x, [rows, dim]), tw = rt.fromArray(w);
        const ty = alias ? tx : rt.fromArray(y0, [rows, dim]);
        rmsnorm(ty, tx, tw, eps, rows, r0, r1);
        const want = (alias ? x : y0).slice();
        ref.rmsnorm_f32(x, w, want, dim, eps, r0, r1);
        assertClose(ty.f32(), want, ATOL, RTOL, `t=${t} dim=${dim} rows=${rows} [${r0},${r1}) eps=${eps} alias=${alias}`);
        tx.dispose(); tw.dispose(); if (!alias) ty.dispose();
      }
    });

    it("normalizes to unit RMS with unit weights, keeps zero rows finite, and propagates NaN per row", async () => {
      const rt = await runtimeFor(build);
      const dim = 13;
      const rng = new Rng(22);
      const x = new Float32Array(4 * dim);
      x.set(rng.array(dim, 5), 0);     // row 0: random
      // row 1: zeros -> 0 * 1/sqrt(eps) = 0
      x.set(rng.array(dim, 5), 2 * dim);
      x[2 * dim + 11] = NaN;           // row 2: NaN in the tail
      x.set(rng.array(dim, 5), 3 * dim); // row 3: unaffected by row 2
      const tx = rt.fromArray(x, [4, dim]), tw = rt.fromArray(new Float32Array(dim).fill(1)), ty = rt.zeros([4, dim]);
      rmsnorm(ty, tx, tw, 0);
      const y = ty.f32();
      for (const r of [0, 3]) {
        let ss = 0;
        for (let c = 0; c < dim; c++) ss += y[r * dim + c] ** 2;
        assert.ok(Math.abs(ss / dim - 1) < 1e-5, `row ${r}: mean square ${ss / dim}`);
      }
      rmsnorm(ty, tx, tw, 1e-5);
      assert.deepEqual(Array.from(ty.f32().subarray(dim, 2 * dim)), new Array(dim).fill(0), "zero row");
      assert.ok(ty.f32().subarray(2 * dim, 3 * dim).every(Number.isNaN), "NaN row");
      assert.ok(ty.f32().subarray(3 * dim).every(Number.isFinite), "row after NaN");
      tx.dispose(); tw.dispose(); ty.dispose();
    });

    it("infers rows from sizes, accepts empty inputs, and rejects bad arguments", async () => {
      const rt = await runtimeFor(build);
      const x = rt.fromArray([3, 4, 0, 5], [2, 2]), w = rt.fromArray([1, 2]), y = rt.zeros([2, 2]);
      rmsnorm(y, x, w, 0);
      assertClose(y.f32(), [3 / Math.sqrt(12.5), 8 / Math.sqrt(12.5), 0, 10 / Math.sqrt(12.5)], 0, 1e-6, "2 rows inferred");
      const e = rt.zeros([0]);
      rmsnorm(e, e, e, 1e-5);
      assert.throws(() => rmsnorm(y, x, rt.zeros([3]), 1e-5), /rows must be a non-negative integer/);
      assert.throws(() => rmsnorm(y, x, w, 1e-5, 3), /x has 4 elements, needs at least 6/);
      assert.throws(() => rmsnorm(y, x, w, 1e-5, 2, 1, 3), /row range/);
      assert.throws(() => rmsnorm(y, x, w, NaN), /eps/);
      x.dispose(); w.dispose(); y.dispose(); e.dispose();
    });
  });
}
