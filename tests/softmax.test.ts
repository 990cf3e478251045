import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/softmax.ts";
import { softmaxRows } from "../src/wasm/ops/softmax.ts";
import type { Runtime } from "../src/wasm/runtime.ts";

// Tolerance: the reference is float64 rounded once. The kernel's exp is within 1 ulp, the
// argument x - max rounds (relative error |x - max| * 2^-24 in exp, < 1e-6 for the live range
// |x - max| < 16 that carries the mass here), and the sum runs in f32 lanes over n/4 terms
// (about sqrt(n/4) ulp typical; n <= 1100 here) before one reciprocal. 1e-5 relative covers
// this with margin; 1e-9 absolute covers entries that underflow toward 0.
const RTOL = 1e-5, ATOL = 1e-9;

interface Case { x: Float32Array; n: number; rows: number; mask: Float32Array | null; causal: number; r0: number; r1: number }

// runs the kernel on a copy of y0 (or in place on x when `alias`) and returns the output
function run(rt: Runtime, c: Case, y0: Float32Array, alias = false): Float32Array {
  const shape = [c.rows, c.n];
  const tx = rt.fromArray(c.x, shape);
  const ty = alias ? tx : rt.fromArray(y0, shape);
  const tm = c.mask ? rt.fromArray(c.mask, shape) : undefined;
  softmaxRows(ty, tx, { mask: tm, causalOffset: c.causal, r0: c.r0, r1: c.r1 });
  const out = ty.toFloat32Array();
  tx.dispose(); if (!alias) ty.dispose(); tm?.dispose();
  return out;
}

function expected(c: Case, y0: Float32Array): Float32Array {
  const want = y0.slice();
  ref.softmax_rows_f32(c.x, want, c.n, c.r0, c.r1, c.mask, c.causal);
  return want;
}

for (const build of WASM_BUILDS) {
  describe(`softmax_rows_f32 (${build})`, { skip: skipReason(build) }, () => {
    it("matches the reference on 300 random shapes, masks, causal offsets and row ranges", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(7);
      for (let t = 0; t < 300; t++) {
        const n = t < 24 ? t + 1 : rng.int(1, 1100);
        const rows = rng.int(1, 6);
        const scale = [1, 8, 30][t % 3];
        const x = rng.array(rows * n, scale);
        let mask: Float32Array | null = null;
        if (t % 4 === 1) {
          mask = rng.array(rows * n, 2);
          for (let i = 0; i < mask.length; i++) if (rng.next() < 0.2) mask[i] = -Infinity;
        }
        const causal = t % 3 === 2 ? rng.int(0, n + 1) : -1;
        const r0 = rng.int(0, rows), r1 = rng.int(r0, rows);
        const c: Case = { x, n, rows, mask, causal, r0, r1 };
        const y0 = rng.array(rows * n, 1);
        const alias = t % 5 === 3;
        const got = run(rt, c, alias ? x : y0, alias);
        assertClose(got, expected(c, alias ? x : y0), ATOL, RTOL, `t=${t} n=${n} rows=${rows} [${r0},${r1}) causal=${causal} mask=${!!mask} alias=${alias}`);
      }
    });

    it("handles rows of 4096 and sums each row to 1", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(8);
      const n = 4096, rows = 3;
      const c: Case = { x: rng.array(rows * n, 12), n, rows, mask: null, causal: -1, r0: 0, r1: rows };
      const got = run(rt, c, new Float32Array(rows * n));
      assertClose(got, expected(c, new Float32Array(rows * n)), ATOL, RTOL, "n=4096");
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += got[r * n + i];
        assert.ok(Math.abs(s - 1) < 1e-5, `row ${r} sums to ${s}`);
      }
    });

    it("gives zeros for all -inf rows, NaN for rows holding NaN, and ignores columns past the causal limit", async () => {
      const rt = await runtimeFor(build);
      const n = 7, ninf = -Infinity;
      const x = new Float32Array([
        ninf, ninf, ninf, ninf, ninf, ninf, ninf, // all -inf
        1, ninf, 2, ninf, 3, ninf, 0,             // some -inf
        1, 2, 3, 4, 5, NaN, 6,                    // NaN in the tail
        NaN, 2, 3, 4, 5, 6, 7,                    // NaN in the SIMD body
        0, 0, 0, 0, 0, 0, 0,                      // ties: uniform
        Infinity, 1, 2, 3, 4, 5, 6,               // +inf: inf - inf is NaN, as in the reference
      ]);
      const rows = x.length / n;
      const c: Case = { x, n, rows, mask: null, causal: -1, r0: 0, r1: rows };
      const got = run(rt, c, new Float32Array(rows * n));
      assertClose(got, expected(c, new Float32Array(rows * n)), ATOL, RTOL, "edge rows");
      assertClose(got.subarray(0, n), new Float32Array(n), 0, 0, "all -inf row");
      assert.ok(got.subarray(2 * n, 4 * n).every(Number.isNaN), "NaN rows");
      assertClose(got.subarray(4 * n, 5 * n), new Float32Array(n).fill(1 / 7), 0, 1e-7, "ties");
      assert.equal(got[1 * n + 1], 0, "-inf entry gives 0");

      // causal: row r reads columns <= r + offset only, so NaN beyond them does not leak
      const xc = new Float32Array([1, NaN, NaN, 2, 3, NaN, 4, 5, 6]);
      const cc: Case = { x: xc, n: 3, rows: 3, mask: null, causal: 0, r0: 0, r1: 3 };
      const gc = run(rt, cc, new Float32Array(9).fill(9));
      assertClose(gc, expected(cc, new Float32Array(9)), ATOL, RTOL, "causal");
      assert.deepEqual(Array.from(gc.subarray(0, 3)), [1, 0, 0]);
      assert.ok(gc.every((v) => !Number.isNaN(v)), "NaN past the causal limit stayed out");

      // a mask that removes every column gives zeros, not NaN
      const mask = new Float32Array(2 * n).fill(-Infinity);
      const cm: Case = { x: new Float32Array(2 * n).fill(3), n, rows: 2, mask, causal: -1, r0: 0, r1: 2 };
      assertClose(run(rt, cm, new Float32Array(2 * n).fill(5)), new Float32Array(2 * n), 0, 0, "fully masked");
    });

    it("gives the same bits for a value in a SIMD lane and in the scalar tail, and for any row split", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(9);
      // 3000 rows of 7: columns 4..6 (scalar tail) repeat columns 0..2 (SIMD lanes)
      const n = 7, nr = 3000;
      const x7 = rng.array(nr * n, 15);
      for (let r = 0; r < nr; r++) for (let j = 4; j < n; j++) x7[r * n + j] = x7[r * n + j - 4];
      const got = run(rt, { x: x7, n, rows: nr, mask: null, causal: -1, r0: 0, r1: nr }, new Float32Array(nr * n));
      for (let r = 0; r < nr; r++) {
        for (let j = 4; j < n; j++) assert.equal(got[r * n + j], got[r * n + j - 4], `row ${r} column ${j} vs ${j - 4}`);
      }

      const rows = 9, m = 37;
      const x = rng.array(rows * m, 10);
      const whole = run(rt, { x, n: m, rows, mask: null, causal: 2, r0: 0, r1: rows }, new Float32Array(rows * m));
      const tx = rt.fromArray(x, [rows, m]), ty = rt.zeros([rows, m]);
      for (const [a, b] of [[0, 4], [4, 5], [5, 9]]) softmaxRows(ty, tx, { causalOffset: 2, r0: a, r1: b });
      assert.deepEqual(ty.toFloat32Array(), whole, "split rows");
      tx.dispose(); ty.dispose();
    });

    it("does nothing for empty inputs and rejects bad arguments", async () => {
      const rt = await runtimeFor(build);
      const e = rt.zeros([0, 5]);
      softmaxRows(e, e);
      const x = rt.zeros([2, 3]), y = rt.fromArray([9, 9, 9, 9, 9, 9], [2, 3]);
      softmaxRows(y, x, { r0: 1, r1: 1 });
      assert.deepEqual(Array.from(y.f32()), [9, 9, 9, 9, 9, 9], "empty row range");
      assert.throws(() => softmaxRows(y, x, { r1: 3 }), /row range \[0, 3\)/);
      assert.throws(() => softmaxRows(y, x, { mask: rt.zeros([2, 2]) }), /mask has 4 elements/);
      assert.throws(() => softmaxRows(y, x, { causalOffset: 0.5 }), /causalOffset/);
      assert.throws(() => softmaxRows(rt.zeros([2]), x), /y has 2 elements/);
      e.dispose(); x.dispose(); y.dispose();
    });
  });
}

describe("softmax_rows_f32 across builds", { skip: skipReason("relaxed") ?? skipReason("simd") }, () => {
  it("gives identical bits in the simd and relaxed builds (exp uses no fused multiply-add)", async () => {
    const rng = new Rng(10);
    const rows = 4, n = 1031;
    const c: Case = { x: rng.array(rows * n, 20), n, rows, mask: rng.array(rows * n, 1), causal: 500, r0: 0, r1: rows };
    const a = run(await runtimeFor("simd"), c, new Float32Array(rows * n));
    const b = run(await runtimeFor("relaxed"), c, new Float32Array(rows * n));
    assert.deepEqual(a, b);
  });
});
