// Integer dot products for quantized weights: the activation row quantized once to Q8A
// (quantize_rows_q8_0) and gemv_<t>_q8_0 over it. Both are bit-exact with their references
// (src/ref/qact.ts, src/ref/qmatmul.ts gemv_q_q8_0), which do the same arithmetic step by step.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import { createRuntime, type Runtime } from "../src/wasm/runtime.ts";
import { quantizeRow, dequantizeRow } from "../src/quant/index.ts";
import * as ref from "../src/ref/qmatmul.ts";
import * as refAct from "../src/ref/qact.ts";
import { Q8_0_DOT_DTYPES, type Q8_0DotDType, gemvQ, gemvQ8_0, q8aRowBytes, quantizeRowsQ8_0 } from "../src/wasm/ops/qmatmul.ts";

const SENTINEL = 12345.5;

function weights(rng: Rng, t: Q8_0DotDType, n_out: number, n_in: number): { W: Uint8Array; Wf: Float32Array } {
  const rb = ref.rowBytes(t, n_in), W = new Uint8Array(n_out * rb), Wf = new Float32Array(n_out * n_in);
  for (let r = 0; r < n_out; r++) {
    const scale = 10 ** rng.int(-3, 2);
    W.set(quantizeRow(t, new Float32Array(n_in).map(() => rng.normal() * scale)), r * rb);
    dequantizeRow(t, W.subarray(r * rb), n_in, Wf, r * n_in);
  }
  return { W, Wf };
}

// activation rows with the edge cases the quantizer meets: zeros, f16-subnormal and overflowing
// scales, exact .5 ties (amax 127 gives id = 1), large and tiny magnitudes
function activations(rng: Rng, n: number, i: number): Float32Array {
  const x = rng.array(n, 10 ** rng.int(-4, 3));
  if (i % 7 === 1) x.fill(0, 0, Math.min(n, 32));
  if (i % 7 === 2) x.fill(0, 0, 32).set([1e-7, -3e-8], 0);
  if (i % 7 === 3) x.set([1e8, -2.5e6], 0);
  if (i % 7 === 4) x.set([127, 2.5, -3.5, 0.5, -0.5, 1.5], 0);
  if (i % 7 === 5) x.set([-0, 6e-5, -6.1e-5], 0);
  return x;
}

function bits(a: Float32Array): number[] { return Array.from(new Uint32Array(a.slice().buffer)); }

for (const build of WASM_BUILDS) {
  describe(`qdot (${build})`, { skip: skipReason(build) }, () => {
    it("quantize_rows_q8_0 is bit-exact with the reference, edge cases included", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(41);
      for (let i = 0; i < 120; i++) {
        const n_in = 32 * rng.int(1, 40), m = i % 5 === 0 ? rng.int(0, 4) : rng.int(1, 4);
        const X = new Float32Array(m * n_in);
        for (let r = 0; r < m; r++) X.set(activations(rng, n_in, i + r), r * n_in);
        const want = new Uint8Array(m * q8aRowBytes(n_in) + 7).fill(0xa5);
        refAct.quantize_rows_q8_0(X, want, n_in, m);
        const tX = rt.fromArray(X.length ? X : new Float32Array(1)), tq = rt.tensor("u8", [want.length]).write(new Uint8Array(want.length).fill(0xa5));
        quantizeRowsQ8_0(tq, tX, n_in, m);
        assert.deepEqual(tq.bytes(), want, `n_in ${n_in}, m ${m}`);
        tX.dispose(); tq.dispose();
      }
    });

    for (const t of Q8_0_DOT_DTYPES) {
      it(`gemv_${t}_q8_0 is bit-exact with the reference on 200 random shapes and row ranges`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(500 + Q8_0_DOT_DTYPES.indexOf(t));
        for (let i = 0; i < 200; i++) {
          const n_in = 32 * (i < 8 ? 1 + (i % 3) : rng.int(1, 48)), n_out = i < 8 ? [1, 3, 5, 7, 13, 17, 31, 33][i] : rng.int(1, 37);
          const { W } = weights(rng, t, n_out, n_in);
          const xq = new Uint8Array(q8aRowBytes(n_in));
          refAct.quantize_rows_q8_0(activations(rng, n_in, i), xq, n_in, 1);
          const r0 = i % 4 === 0 ? 0 : rng.int(0, n_out), r1 = i % 4 === 0 ? n_out : rng.int(r0, n_out);
          const want = new Float32Array(n_out).fill(SENTINEL);
          ref.gemv_q_q8_0(t, W, xq, want, n_in, r0, r1);
          const tw = rt.tensor(t, [n_out, n_in]).write(W), tq = rt.tensor("u8", [xq.length]).write(xq);
          const ty = rt.fromArray(new Float32Array(n_out).fill(SENTINEL));
          gemvQ8_0(ty, tw, tq, r0, r1);
          assert.deepEqual(bits(ty.f32()), bits(want), `${t} ${n_out}x${n_in} rows [${r0}, ${r1})`);
          tw.dispose(); tq.dispose(); ty.dispose();
        }
      });

      // Quantizing x to q8_0 moves each x_i by at most |x_i - q_i s| + |q_i| |s - d| <= amax_b / 254
      // + 127 * (amax_b / 127) * 2^-11 = amax_b / 127 * (0.5 + 0.062), with s = amax_b / 127 and d its
      // f16 rounding; the weights are the same in both paths. So |int - f32| <= sum_b sum_{i in b}
      // |w_i| * amax_b / 127 * 0.57, plus the f32 sums' own rounding (1e-5 of sum |w x|).
      it(`gemv_${t}_q8_0 stays within the activation quantization bound of the f32-activation gemv`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(600 + Q8_0_DOT_DTYPES.indexOf(t));
        for (let i = 0; i < 50; i++) {
          const n_in = 32 * rng.int(1, 48), n_out = rng.int(1, 20);
          const { W, Wf } = weights(rng, t, n_out, n_in);
          const x = rng.array(n_in, 10 ** rng.int(-2, 2));
          const tw = rt.tensor(t, [n_out, n_in]).write(W), tx = rt.fromArray(x), tq = rt.tensor("u8", [q8aRowBytes(n_in)]);
          const yf = rt.zeros([n_out]), yi = rt.zeros([n_out]);
          gemvQ(yf, tw, tx);
          quantizeRowsQ8_0(tq, tx, n_in);
          gemvQ8_0(yi, tw, tq);
          for (let r = 0; r < n_out; r++) {
            let bound = 0, abs = 0;
            for (let b = 0; b < n_in / 32; b++) {
              let amax = 0, sw = 0;
              for (let j = 0; j < 32; j++) { amax = Math.max(amax, Math.abs(x[b * 32 + j])); sw += Math.abs(Wf[r * n_in + b * 32 + j]); }
              bound += sw * amax / 127 * 0.57;
              for (let j = 0; j < 32; j++) abs += Math.abs(Wf[r * n_in + b * 32 + j] * x[b * 32 + j]);
            }
            const err = Math.abs(yi.f32()[r] - yf.f32()[r]);
            assert.ok(err <= bound + 1e-5 * abs, `${t} ${n_out}x${n_in} row ${r}: |int - f32| = ${err} > ${bound}`);
          }
          for (const u of [tw, tx, tq, yf, yi]) u.dispose();
        }
      });

      it(`${t}: NaN in x or in a weight scale gives NaN outputs`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(9);
        const n_in = 96, n_out = 5;
        const { W } = weights(rng, t, n_out, n_in);
        const x = rng.array(n_in);
        const tw = rt.tensor(t, [n_out, n_in]).write(W), tq = rt.tensor("u8", [q8aRowBytes(n_in)]), y = rt.zeros([n_out]);
        x[n_in - 3] = NaN;
        const tx = rt.fromArray(x);
        quantizeRowsQ8_0(tq, tx, n_in);
        gemvQ8_0(y, tw, tq);
        assert.ok(y.f32().every(Number.isNaN), `NaN in x: ${Array.from(y.f32())}`);
        x[n_in - 3] = 1;
        tx.write(x);
        const Wn = W.slice(), rb = ref.rowBytes(t, n_in);
        Wn[2 * rb + 1] = 0x7e; Wn[2 * rb] = 0; // row 2, block 0: f16 scale NaN
        tw.write(Wn);
        quantizeRowsQ8_0(tq, tx, n_in);
        gemvQ8_0(y, tw, tq);
        const yv = Array.from(y.f32());
        assert.ok(Number.isNaN(yv[2]) && yv.every((v, r) => r === 2 || Number.isFinite(v)), `NaN scale in row 2: ${yv}`);
        for (const u of [tw, tq, y, tx]) u.dispose();
      });
    }

    it("rejects bad dtypes, sizes and ranges with clear errors", async () => {
      const rt = await runtimeFor(build);
      const w = rt.tensor("q8_0", [2, 64]), wk = rt.tensor("q4_k", [2, 256]), x = rt.zeros([64]), y = rt.zeros([2]);
      const q = rt.tensor("u8", [q8aRowBytes(64)]), small = rt.tensor("u8", [10]);
      assert.throws(() => gemvQ8_0(y, wk, q), /no integer-dot kernel for W of dtype q4_k \(have q8_0, q4_0\)/);
      assert.throws(() => gemvQ8_0(y, w, small), /xq has 10 bytes, needs 72/);
      assert.throws(() => gemvQ8_0(y, w, x), /xq is f32, expected u8/);
      assert.throws(() => gemvQ8_0(y, w, q, 1, 3), /row range \[1, 3\)/);
      assert.throws(() => quantizeRowsQ8_0(q, x, 48), /n_in 48 must be a positive multiple of 32/);
      assert.throws(() => quantizeRowsQ8_0(small, x, 64), /Xq has 10 bytes, needs 72/);
      assert.throws(() => quantizeRowsQ8_0(q, rt.zeros([32]), 64), /X has 32 elements/);
      for (const u of [w, wk, x, y, q, small]) u.dispose();
    });
  });
}

describe("qdot (ts fallback)", () => {
  it("the fallback table wires pointers to the references", async () => {
    const rt: Runtime = await createRuntime({ build: "ts" });
    const rng = new Rng(5);
    for (const t of Q8_0_DOT_DTYPES) {
      const n_in = 64, { W } = weights(rng, t, 3, n_in), x = rng.array(n_in);
      const xq = new Uint8Array(q8aRowBytes(n_in)), want = new Float32Array(3);
      refAct.quantize_rows_q8_0(x, xq, n_in, 1);
      ref.gemv_q_q8_0(t, W, xq, want, n_in, 0, 3);
      const tw = rt.tensor(t, [3, n_in]).write(W), tx = rt.fromArray(x), tq = rt.tensor("u8", [xq.length]), ty = rt.zeros([3]);
      quantizeRowsQ8_0(tq, tx, n_in);
      assert.deepEqual(tq.bytes(), xq);
      gemvQ8_0(ty, tw, tq);
      assert.deepEqual(ty.f32(), want);
      for (const u of [tw, tx, tq, ty]) u.dispose();
    }
  });
});
