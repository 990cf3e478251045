import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import { createRuntime, type Runtime } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";
import { DTYPE_BLOCK } from "../src/wasm/dtype.ts";
import { quantizeRow, dequantizeRow } from "../src/quant/index.ts";
import * as ref from "../src/ref/qmatmul.ts";
import { Q_KERNEL_DTYPES, type QKernelDType, dequantRows, gemmQ, gemmScratchFloats, gemvQ } from "../src/wasm/ops/qmatmul.ts";

// Tolerance: the kernels sum in f32 (4 lanes, per-block partial sums, then across blocks), the
// reference in float64 from the same dequantized weights. Each rounding costs at most 2^-24
// relative to the partial sum it is added to, and every addition chain is shorter than
// 16 (within a block) + n_in / 32 (across blocks) + 4 <= 68 steps for n_in <= 1536, so
// |y - ref| <= 68 * 2^-24 * sum |w||x| < 5e-6 * sum |w||x|. We allow 1e-5.
const RTOL = 1e-5;

const SENTINEL = 12345.5;

interface Case { n_in: number; n_out: number; W: Uint8Array; Wf: Float32Array }

// W (n_out, n_in) quantized row by row from random data of varying magnitude; Wf its decoding
function randomWeights(rng: Rng, t: QKernelDType, n_out: number, n_in: number): Case {
  const rb = ref.rowBytes(t, n_in);
  const W = new Uint8Array(n_out * rb), Wf = new Float32Array(n_out * n_in);
  for (let r = 0; r < n_out; r++) {
    const scale = 10 ** rng.int(-3, 2);
    const row = new Float32Array(n_in).map(() => rng.normal() * scale + (r % 3 === 0 ? 0.3 * scale : 0));
    W.set(quantizeRow(t, row), r * rb);
    dequantizeRow(t, W.subarray(r * rb), n_in, Wf, r * n_in);
  }
  return { n_in, n_out, W, Wf };
}

function sumAbs(w: Float32Array, wo: number, x: Float32Array, xo: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.abs(w[wo + k] * x[xo + k]);
  return s;
}

function qtensor(rt: Runtime, t: QKernelDType, c: Case): Tensor {
  return rt.tensor(t, [c.n_out, c.n_in]).write(c.W);
}

const ODD = [1, 3, 5, 7, 13, 17, 31, 33];

function shape(rng: Rng, t: QKernelDType, i: number): [number, number] {
  const block = DTYPE_BLOCK[t][0];
  const n_in = block * (i < 8 ? 1 + (i % 3) : rng.int(1, block === 32 ? 40 : 6));
  const n_out = i < ODD.length ? ODD[i] : rng.int(1, 37);
  return [n_out, n_in];
}

for (const build of WASM_BUILDS) {
  describe(`qmatmul (${build})`, { skip: skipReason(build) }, () => {
    for (const t of Q_KERNEL_DTYPES) {
      it(`gemv_${t} matches the reference on 200 random shapes and row ranges`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(100 + Q_KERNEL_DTYPES.indexOf(t));
        for (let i = 0; i < 200; i++) {
          const [n_out, n_in] = shape(rng, t, i);
          const c = randomWeights(rng, t, n_out, n_in);
          const x = rng.array(n_in, 2);
          const r0 = i % 4 === 0 ? 0 : rng.int(0, n_out), r1 = i % 4 === 0 ? n_out : rng.int(r0, n_out);
          const want = new Float32Array(n_out).fill(SENTINEL);
          ref.gemv_q(t, c.W, x, want, n_in, r0, r1);
          const tw = qtensor(rt, t, c), tx = rt.fromArray(x), ty = rt.fromArray(new Float32Array(n_out).fill(SENTINEL));
          gemvQ(ty, tw, tx, r0, r1);
          const y = ty.f32();
          for (let r = 0; r < n_out; r++) {
            if (r < r0 || r >= r1) { assert.equal(y[r], SENTINEL, `row ${r} outside [${r0}, ${r1}) was written`); continue; }
            const tol = RTOL * sumAbs(c.Wf, r * n_in, x, 0, n_in) + 1e-30;
            if (!(Math.abs(y[r] - want[r]) <= tol)) assert.fail(`${t} ${n_out}x${n_in} row ${r}: got ${y[r]}, want ${want[r]} (tol ${tol})`);
          }
          tw.dispose(); tx.dispose(); ty.dispose();
        }
      });

      it(`gemm_${t} matches the reference on 200 random shapes and column ranges`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(200 + Q_KERNEL_DTYPES.indexOf(t));
        for (let i = 0; i < 200; i++) {
          const [n_out, n_in] = shape(rng, t, i);
          const c = randomWeights(rng, t, n_out, n_in);
          const mRows = rng.int(1, 9), m = i % 5 === 0 ? rng.int(0, mRows) : mRows;
          const X = rng.array(mRows * n_in, 2);
          const n0 = i % 3 === 0 ? 0 : rng.int(0, n_out), n1 = i % 3 === 0 ? n_out : rng.int(n0, n_out);
          const want = new Float32Array(mRows * n_out).fill(SENTINEL);
          ref.gemm_q(t, X, c.W, want, m, n_in, n_out, n0, n1);
          const tw = qtensor(rt, t, c), tX = rt.fromArray(X, [mRows, n_in]);
          const tY = rt.fromArray(new Float32Array(mRows * n_out).fill(SENTINEL), [mRows, n_out]);
          const scratch = rt.zeros([gemmScratchFloats(n_in, mRows)]);
          gemmQ(tY, tX, tw, scratch, m, n0, n1);
          const Y = tY.f32();
          for (let r = 0; r < mRows; r++) {
            for (let col = 0; col < n_out; col++) {
              const got = Y[r * n_out + col];
              if (r >= m || col < n0 || col >= n1) { assert.equal(got, SENTINEL, `Y[${r}, ${col}] outside the range was written`); continue; }
              const tol = RTOL * sumAbs(c.Wf, col * n_in, X, r * n_in, n_in) + 1e-30;
              if (!(Math.abs(got - want[r * n_out + col]) <= tol)) assert.fail(`${t} m=${m} ${n_out}x${n_in} Y[${r}, ${col}]: got ${got}, want ${want[r * n_out + col]}`);
            }
          }
          tw.dispose(); tX.dispose(); tY.dispose(); scratch.dispose();
        }
      });

      // m >= 16 takes the packed outer-product form: each output one f32 lane summed over all n_in
      // in order, so its rounding bound grows with n_in: (n_in + 2) 2^-24 sum |w||x| (products
      // rounded, then n_in additions); k blocks of whole quant blocks, several per call here
      it(`gemm_${t} matches the reference at m = 1..17 and 64, odd block counts, n edges`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(400 + Q_KERNEL_DTYPES.indexOf(t));
        const block = DTYPE_BLOCK[t][0];
        const blocks = block === 32 ? [1, 3, 7, 19] : [1, 3]; // n_in 32 .. 608 (k blocks 224, 224, 160) or 256, 768
        for (const m of [...Array(17).keys()].map((i) => i + 1).concat([64])) {
          for (const nb of blocks) {
            const n_in = nb * block, n_out = rng.int(1, 21);
            const c = randomWeights(rng, t, n_out, n_in);
            const X = rng.array(m * n_in, 2);
            const n0 = m % 2 ? 0 : rng.int(0, n_out), n1 = m % 3 ? n_out : rng.int(n0, n_out);
            const want = new Float32Array(m * n_out);
            ref.gemm_q(t, X, c.W, want, m, n_in, n_out, n0, n1);
            const tw = qtensor(rt, t, c), tX = rt.fromArray(X, [m, n_in]);
            const tY = rt.fromArray(new Float32Array(m * n_out).fill(SENTINEL), [m, n_out]);
            const scratch = rt.zeros([gemmScratchFloats(n_in, m)]);
            gemmQ(tY, tX, tw, scratch, m, n0, n1);
            const Y = tY.f32(), rtol = Math.max(RTOL, (n_in + 2) * 2 ** -24);
            for (let r = 0; r < m; r++) {
              for (let col = 0; col < n_out; col++) {
                const got = Y[r * n_out + col];
                if (col < n0 || col >= n1) { assert.equal(got, SENTINEL, `Y[${r}, ${col}] outside [${n0}, ${n1}) was written`); continue; }
                const tol = rtol * sumAbs(c.Wf, col * n_in, X, r * n_in, n_in) + 1e-30;
                if (!(Math.abs(got - want[r * n_out + col]) <= tol)) assert.fail(`${t} m=${m} ${n_out}x${n_in} Y[${r}, ${col}]: got ${got}, want ${want[r * n_out + col]}`);
              }
            }
            tw.dispose(); tX.dispose(); tY.dispose(); scratch.dispose();
          }
        }
      });

      it(`gemm_${t}: column ranges split anywhere give the bits of one call (m 3, 16, 17, 23, 64)`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(500 + Q_KERNEL_DTYPES.indexOf(t));
        const block = DTYPE_BLOCK[t][0];
        for (const m of [3, 16, 17, 23, 64]) {
          const n_in = block * (block === 32 ? 13 : 3), n_out = 37;
          const c = randomWeights(rng, t, n_out, n_in);
          const tw = qtensor(rt, t, c), tX = rt.fromArray(rng.array(m * n_in, 2), [m, n_in]);
          const one = rt.zeros([m, n_out]), parts = rt.zeros([m, n_out]), scratch = rt.zeros([gemmScratchFloats(n_in, m)]);
          gemmQ(one, tX, tw, scratch, m);
          const cuts = [0, rng.int(1, 8), rng.int(9, 20), 21, rng.int(22, 36), n_out];
          for (let i = 0; i + 1 < cuts.length; i++) gemmQ(parts, tX, tw, scratch, m, cuts[i], cuts[i + 1]);
          assert.deepEqual(new Uint32Array(parts.f32().slice().buffer), new Uint32Array(one.f32().slice().buffer), `${t} m=${m} cuts ${cuts}`);
          for (const u of [tw, tX, one, parts, scratch]) u.dispose();
        }
      });

      it(`gemm_${t} writes nothing past gemmScratchFloats(n_in, m) of its scratch`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(600 + Q_KERNEL_DTYPES.indexOf(t));
        // n_in 512: two full 256-value k blocks, so every packed X row is written in full; m = 17,
        // 23, 29 and 64 end in a padded register tile (6 rows relaxed, 5 simd), m = 600 fills the
        // packed X block (516 rows) and starts a second; m = 15 takes the row-major panel
        const n_in = 512, n_out = 13;
        for (const m of [15, 16, 17, 23, 29, 64, 600]) {
          const need = gemmScratchFloats(n_in, m);
          const c = randomWeights(rng, t, n_out, n_in);
          const X = rng.array(m * n_in);
          const tw = qtensor(rt, t, c), tX = rt.fromArray(X, [m, n_in]), tY = rt.zeros([m, n_out]);
          const S = rt.fromArray(new Float32Array(need + 6 * 256).fill(7));
          gemmQ(tY, tX, tw, S, m);
          assert.ok(S.f32().subarray(need).every((v) => v === 7), `m=${m}: scratch written past its size ${need}`);
          // the packed X block's padded last tile reaches into the last 6 rows of the figure: it is
          // not loose by a whole tile (and a figure of min(m, 516) rows fails the check above at 17, 23, 29)
          if (m >= 16 && m <= 516) assert.ok(S.f32().subarray(need - 6 * 256, need).some((v) => v !== 7), `m=${m}: the packed X block ends a tile or more before the figure`);
          const want = new Float32Array(m * n_out);
          ref.gemm_q(t, X, c.W, want, m, n_in, n_out, 0, n_out);
          const Y = tY.f32();
          for (let i = 0; i < m * n_out; i++) {
            const r = Math.floor(i / n_out), col = i % n_out;
            const tol = (n_in + 2) * 2 ** -24 * sumAbs(c.Wf, col * n_in, X, r * n_in, n_in) + 1e-30;
            if (!(Math.abs(Y[i] - want[i]) <= tol)) assert.fail(`${t} m=${m} Y[${r}, ${col}]: got ${Y[i]}, want ${want[i]}`);
          }
          for (const u of [tw, tX, tY, S]) u.dispose();
        }
      });

      it(`dequant_rows_${t} is bit-exact with dequantizeRow`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(300 + Q_KERNEL_DTYPES.indexOf(t));
        for (let i = 0; i < 60; i++) {
          const [n_out, n_in] = shape(rng, t, i);
          const c = randomWeights(rng, t, n_out, n_in);
          if (i === 0) { // zero scales: signed zeros must match too (q4_0 gives (0 - 8) * 0 = -0)
            c.W.fill(0);
            for (let r = 0; r < n_out; r++) dequantizeRow(t, c.W.subarray(r * ref.rowBytes(t, n_in)), n_in, c.Wf, r * n_in);
          }
          const r0 = rng.int(0, n_out - 1), r1 = rng.int(r0 + 1, n_out);
          const tw = qtensor(rt, t, c), dst = rt.zeros([r1 - r0, n_in]);
          dequantRows(dst, tw, r0, r1);
          const want = c.Wf.slice(r0 * n_in, r1 * n_in);
          assert.deepEqual(new Uint32Array(dst.f32().slice().buffer), new Uint32Array(want.buffer), `${t} rows [${r0}, ${r1}) of ${n_out}x${n_in}`);
          tw.dispose(); dst.dispose();
        }
      });

      it(`${t}: NaN in x propagates to every output it touches`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(7);
        const n_in = DTYPE_BLOCK[t][0] * 2, n_out = 5;
        const c = randomWeights(rng, t, n_out, n_in);
        const x = rng.array(n_in);
        x[n_in - 3] = NaN;
        const tw = qtensor(rt, t, c), tx = rt.fromArray(x), ty = rt.zeros([n_out]);
        gemvQ(ty, tw, tx);
        assert.ok(ty.f32().every(Number.isNaN), `gemv: ${Array.from(ty.f32())}`);
        const X = rng.array(3 * n_in);
        X[n_in + 5] = NaN; // row 1 only
        const tX = rt.fromArray(X, [3, n_in]), tY = rt.zeros([3, n_out]), s = rt.zeros([gemmScratchFloats(n_in, 3)]);
        gemmQ(tY, tX, tw, s);
        const Y = tY.f32();
        for (let col = 0; col < n_out; col++) {
          assert.ok(Number.isNaN(Y[n_out + col]), `gemm row 1 col ${col}`);
          assert.ok(Number.isFinite(Y[col]) && Number.isFinite(Y[2 * n_out + col]), `gemm rows 0 and 2 col ${col}`);
        }
        // the packed form (m >= 16): NaN in row 1, +Inf in row 17 (in the last, padded register
        // tile), n_out 5 (a tile at the n edge); the other rows stay finite
        const m = 20, XP = rng.array(m * n_in);
        XP[n_in + 5] = NaN;
        XP[17 * n_in + 2] = Infinity;
        const tXP = rt.fromArray(XP, [m, n_in]), tYP = rt.zeros([m, n_out]), sP = rt.zeros([gemmScratchFloats(n_in, m)]);
        gemmQ(tYP, tXP, tw, sP);
        const YP = tYP.f32();
        for (let r = 0; r < m; r++) {
          for (let col = 0; col < n_out; col++) {
            const v = YP[r * n_out + col], w = c.Wf[col * n_in + 2];
            if (r === 1) assert.ok(Number.isNaN(v), `packed row 1 col ${col}: ${v}`);
            else if (r === 17) assert.ok(w === 0 ? Number.isFinite(v) : !Number.isFinite(v), `packed row 17 col ${col}: ${v} (w ${w})`);
            else assert.ok(Number.isFinite(v), `packed row ${r} col ${col}: ${v}`);
          }
        }
        for (const u of [tw, tx, ty, tX, tY, s, tXP, tYP, sP]) u.dispose();
      });
    }

    it("rejects unsupported dtypes, bad shapes and ranges with clear errors", async () => {
      const rt = await runtimeFor(build);
      const w41 = rt.tensor("q4_1", [2, 32]), wf = rt.zeros([2, 32]), w = rt.tensor("q8_0", [2, 32]);
      const x = rt.zeros([32]), y = rt.zeros([2]), s = rt.zeros([gemmScratchFloats(32, 1)]), X = rt.zeros([1, 32]), Y = rt.zeros([1, 2]);
      assert.throws(() => gemvQ(y, w41, x), /no quantized kernel for W of dtype q4_1 \(have q8_0, q4_0, q4_k, q6_k, q5_0\)/);
      assert.throws(() => gemmQ(Y, X, wf, s), /dtype f32/);
      assert.throws(() => dequantRows(x, w41, 0), /dtype q4_1/);
      assert.throws(() => gemvQ(y, w, rt.zeros([31])), /x has 31 elements/);
      assert.throws(() => gemvQ(y, w, x, 1, 3), /row range \[1, 3\)/);
      assert.throws(() => gemmQ(Y, X, w, rt.zeros([100])), /scratch has 100 floats, 1 rows of 32 need 1024 \(gemmScratchFloats\)/);
      assert.throws(() => gemmQ(Y, X, w, s, 2), /X row range/);
      assert.throws(() => dequantRows(rt.zeros([16]), w, 0), /dst has 16 elements/);
      assert.throws(() => dequantRows(rt.zeros([64]), w, 0, 1, 2), /dst has 64 elements/);
      assert.throws(() => gemvQ(rt.zeros([1]), w, x), /y has 1 elements/);
      // a larger destination is fine; dstRow places the rows
      const big = rt.zeros([3, 32]);
      dequantRows(big, w, 1, 2, 2);
      assert.ok(big.f32().subarray(0, 64).every((v) => v === 0));
      for (const u of [w41, wf, w, x, y, s, X, Y]) u.dispose();
    });
  });
}

describe("qmatmul (ts fallback)", () => {
  it("the fallback table wires pointers to the references", async () => {
    const rt = await createRuntime({ build: "ts" });
    const rng = new Rng(3);
    for (const t of Q_KERNEL_DTYPES) {
      const c = randomWeights(rng, t, 3, DTYPE_BLOCK[t][0]);
      const x = rng.array(c.n_in), want = new Float32Array(3);
      ref.gemv_q(t, c.W, x, want, c.n_in, 0, 3);
      const tw = qtensor(rt, t, c), tx = rt.fromArray(x), ty = rt.zeros([3]);
      gemvQ(ty, tw, tx);
      assert.deepEqual(ty.f32(), want);
      const dst = rt.zeros([2, c.n_in]);
      dequantRows(dst, tw, 1, 3);
      assert.deepEqual(dst.f32(), c.Wf.subarray(c.n_in));
      for (const u of [tw, tx, ty, dst]) u.dispose();
    }
  });
});
