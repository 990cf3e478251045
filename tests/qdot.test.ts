// Integer dot products for quantized weights: the activation row quantized once (quantizeRows:
// q8_0 blocks for q8_0 / q4_0 weights, q8_K blocks for the k-quants) and gemv_<t>_<a> over it.
// Both are bit-exact with their references (src/ref/qact.ts, src/ref/qmatmul.ts gemv_q_q8_0 /
// gemv_q_q8_k), which do the same arithmetic step by step, on both builds.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import { createRuntime, type Runtime } from "../src/wasm/runtime.ts";
import { quantizeRow, dequantizeRow } from "../src/quant/index.ts";
import * as ref from "../src/ref/qmatmul.ts";
import * as refAct from "../src/ref/qact.ts";
import { INT_DOT_ACT, INT_DOT_DTYPES, type ActQuant, type IntDotDType, actRowBytes, gemvQ, gemvQInt, quantizeRows } from "../src/wasm/ops/qmatmul.ts";

const SENTINEL = 12345.5;
const ACTS: ActQuant[] = ["q8_0", "q8_k"];
const BLOCK: Record<ActQuant, number> = { q8_0: 32, q8_k: 256 };

function refQuantize(a: ActQuant, X: Float32Array, Xq: Uint8Array, n_in: number, m: number): void {
  if (a === "q8_0") refAct.quantize_rows_q8_0(X, Xq, n_in, m);
  else refAct.quantize_rows_q8_k(X, Xq, n_in, m);
}

function refGemv(t: IntDotDType, W: Uint8Array, xq: Uint8Array, y: Float32Array, n_in: number, r0: number, r1: number): void {
  if (INT_DOT_ACT[t] === "q8_0") ref.gemv_q_q8_0(t, W, xq, y, n_in, r0, r1);
  else ref.gemv_q_q8_k(t, W, xq, y, n_in, r0, r1);
}

function weights(rng: Rng, t: IntDotDType, n_out: number, n_in: number): { W: Uint8Array; Wf: Float32Array } {
  const rb = ref.rowBytes(t, n_in), W = new Uint8Array(n_out * rb), Wf = new Float32Array(n_out * n_in);
  for (let r = 0; r < n_out; r++) {
    const scale = 10 ** rng.int(-3, 2);
    W.set(quantizeRow(t, new Float32Array(n_in).map(() => rng.normal() * scale + (r % 3 === 0 ? 0.3 * scale : 0))), r * rb);
    dequantizeRow(t, W.subarray(r * rb), n_in, Wf, r * n_in);
  }
  return { W, Wf };
}

// activation rows with the edge cases the quantizers meet: zeros, f16-subnormal and overflowing
// q8_0 scales, exact .5 ties (amax 127 gives id = 1), ties of |max| with either sign first,
// large and tiny magnitudes
function activations(rng: Rng, n: number, i: number): Float32Array {
  const x = rng.array(n, 10 ** rng.int(-4, 3));
  if (i % 8 === 1) x.fill(0, 0, Math.min(n, 256));
  if (i % 8 === 2) x.fill(0, 0, 32).set([1e-7, -3e-8], 0);
  if (i % 8 === 3) x.set([1e8, -2.5e6], 0);
  if (i % 8 === 4) x.set([127, 2.5, -3.5, 0.5, -0.5, 1.5], 0);
  if (i % 8 === 5) x.set([-0, 6e-5, -6.1e-5], 0);
  if (i % 8 === 6) { x.set([-1e4], 3); x.set([1e4], 7); }
  if (i % 8 === 7) { x.set([1e4], 3); x.set([-1e4], 7); }
  return x;
}

function bits(a: Float32Array): number[] { return Array.from(new Uint32Array(a.slice().buffer)); }

for (const build of WASM_BUILDS) {
  describe(`qdot (${build})`, { skip: skipReason(build) }, () => {
    for (const a of ACTS) {
      it(`quantize_rows_${a} is bit-exact with the reference, edge cases included`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(41 + ACTS.indexOf(a));
        for (let i = 0; i < 120; i++) {
          const n_in = BLOCK[a] * rng.int(1, a === "q8_0" ? 40 : 7), m = i % 5 === 0 ? rng.int(0, 4) : rng.int(1, 4);
          const X = new Float32Array(m * n_in);
          for (let r = 0; r < m; r++) X.set(activations(rng, n_in, i + r), r * n_in);
          const want = new Uint8Array(m * actRowBytes(a, n_in) + 7).fill(0xa5);
          refQuantize(a, X, want, n_in, m);
          const tX = rt.fromArray(X.length ? X : new Float32Array(1)), tq = rt.tensor("u8", [want.length]).write(new Uint8Array(want.length).fill(0xa5));
          quantizeRows(a, tq, tX, n_in, m);
          assert.deepEqual(tq.bytes(), want, `n_in ${n_in}, m ${m}`);
          tX.dispose(); tq.dispose();
        }
      });
    }

    for (const t of INT_DOT_DTYPES) {
      const a = INT_DOT_ACT[t], block = BLOCK[a];
      it(`gemv_${t}_${a} is bit-exact with the reference on 200 random shapes and row ranges`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(500 + INT_DOT_DTYPES.indexOf(t));
        for (let i = 0; i < 200; i++) {
          const n_in = block * (i < 8 ? 1 + (i % 3) : rng.int(1, block === 32 ? 48 : 6)), n_out = i < 8 ? [1, 3, 5, 7, 13, 17, 31, 33][i] : rng.int(1, 37);
          const { W } = weights(rng, t, n_out, n_in);
          const xq = new Uint8Array(actRowBytes(a, n_in));
          refQuantize(a, activations(rng, n_in, i), xq, n_in, 1);
          const r0 = i % 4 === 0 ? 0 : rng.int(0, n_out), r1 = i % 4 === 0 ? n_out : rng.int(r0, n_out);
          const want = new Float32Array(n_out).fill(SENTINEL);
          refGemv(t, W, xq, want, n_in, r0, r1);
          const tw = rt.tensor(t, [n_out, n_in]).write(W), tq = rt.tensor("u8", [xq.length]).write(xq);
          const ty = rt.fromArray(new Float32Array(n_out).fill(SENTINEL));
          gemvQInt(ty, tw, tq, r0, r1);
          assert.deepEqual(bits(ty.f32()), bits(want), `${t} ${n_out}x${n_in} rows [${r0}, ${r1})`);
          tw.dispose(); tq.dispose(); ty.dispose();
        }
      });

      // The kernels read several rows at once, taken far apart (stream s at rows r0 + i + s Q,
      // Q = floor((r1 - r0) / S), the rest one at a time): a row's bits must not depend on the range
      // it was called with, for odd n_out, n_out below the stream count and ranges cut anywhere.
      it(`gemv_${t}_${a} gives the same bits whatever the split of [r0, r1)`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(900 + INT_DOT_DTYPES.indexOf(t));
        for (const n_out of [1, 2, 3, 5, 7, 9, 31, 37, 66]) {
          const n_in = block * (block === 32 ? 3 : 2);
          const { W } = weights(rng, t, n_out, n_in);
          const xq = new Uint8Array(actRowBytes(a, n_in));
          refQuantize(a, activations(rng, n_in, n_out), xq, n_in, 1);
          const tw = rt.tensor(t, [n_out, n_in]).write(W), tq = rt.tensor("u8", [xq.length]).write(xq);
          const whole = rt.fromArray(new Float32Array(n_out).fill(SENTINEL)), parts = rt.fromArray(new Float32Array(n_out).fill(SENTINEL));
          gemvQInt(whole, tw, tq);
          for (let trial = 0; trial < 4; trial++) {
            parts.write(new Float32Array(n_out).fill(SENTINEL));
            // cut [0, n_out) at random points (trial 0: single rows)
            for (let r0 = 0; r0 < n_out;) {
              const r1 = trial === 0 ? r0 + 1 : Math.min(n_out, r0 + rng.int(1, 11));
              gemvQInt(parts, tw, tq, r0, r1);
              r0 = r1;
            }
            assert.deepEqual(bits(parts.f32()), bits(whole.f32()), `${t} ${n_out}x${n_in}, trial ${trial}`);
          }
          const want = new Float32Array(n_out);
          refGemv(t, W, xq, want, n_in, 0, n_out);
          assert.deepEqual(bits(whole.f32()), bits(want), `${t} ${n_out}x${n_in}: one call against the reference`);
          tw.dispose(); tq.dispose(); whole.dispose(); parts.dispose();
        }
      });

      // Quantizing x moves each x_i by at most half a step plus the step's own rounding: for q8_0
      // |x_i - q_i d| <= amax_b / 254 + 127 * (amax_b / 127) * 2^-11 (d is rounded to f16) =
      // amax_b / 127 * 0.562; for q8_K (d = 1 / iscale in f32) amax_b / 127 * 0.5 (1 + 2^-20).
      // The weights are the same in both paths, so |int - f32| <= sum_b sum_{i in b} |w_i| *
      // amax_b / 127 * 0.57, plus the f32 sums' own rounding (1e-5 of sum |w x|).
      it(`gemv_${t}_${a} stays within the activation quantization bound of the f32-activation gemv`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(600 + INT_DOT_DTYPES.indexOf(t));
        let worst = 0;
        for (let i = 0; i < 50; i++) {
          const n_in = block * rng.int(1, block === 32 ? 48 : 6), n_out = rng.int(1, 20);
          const { W, Wf } = weights(rng, t, n_out, n_in);
          const x = rng.array(n_in, 10 ** rng.int(-2, 2));
          const tw = rt.tensor(t, [n_out, n_in]).write(W), tx = rt.fromArray(x), tq = rt.tensor("u8", [actRowBytes(a, n_in)]);
          const yf = rt.zeros([n_out]), yi = rt.zeros([n_out]);
          gemvQ(yf, tw, tx);
          quantizeRows(a, tq, tx, n_in);
          gemvQInt(yi, tw, tq);
          for (let r = 0; r < n_out; r++) {
            let bound = 0, abs = 0;
            for (let b = 0; b < n_in / block; b++) {
              let amax = 0, sw = 0;
              for (let j = 0; j < block; j++) { amax = Math.max(amax, Math.abs(x[b * block + j])); sw += Math.abs(Wf[r * n_in + b * block + j]); }
              bound += sw * amax / 127 * 0.57;
              for (let j = 0; j < block; j++) abs += Math.abs(Wf[r * n_in + b * block + j] * x[b * block + j]);
            }
            const err = Math.abs(yi.f32()[r] - yf.f32()[r]);
            assert.ok(err <= bound + 1e-5 * abs, `${t} ${n_out}x${n_in} row ${r}: |int - f32| = ${err} > ${bound}`);
            worst = Math.max(worst, err / bound);
          }
          for (const u of [tw, tx, tq, yf, yi]) u.dispose();
        }
        // the paths differ (the bound is not vacuous): some row uses a visible part of it
        assert.ok(worst > 0.01, `largest |int - f32| / bound = ${worst}`);
      });

      // The relaxed build's 4/5/6-bit kernels use i16 pair sums (relaxed_dot_i8x16_i7x16_s): the
      // largest products must neither saturate nor wrap. Raw random quant bytes (every nibble,
      // 5th and 6th bit, Q4_K's 6-bit scales and Q6_K's i8 scales) against x quants at -128, -127
      // and 127 (beyond what the quantizers write), scales 1: both builds equal the reference.
      it(`gemv_${t}_${a} is bit-exact with the reference at extreme quants`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(700 + INT_DOT_DTYPES.indexOf(t));
        const scaleAt = t === "q6_k" ? [208] : t === "q4_k" ? [0, 2] : [0];
        for (let i = 0; i < 24; i++) {
          const n_in = block * (1 + (i % 3)), n_out = 1 + (i % 5), rb = ref.rowBytes(t, n_in), bb = rb / (n_in / block);
          const W = new Uint8Array(n_out * rb).map(() => rng.int(0, 255));
          for (let p = 0; p < W.length; p += bb) for (const at of scaleAt) { W[p + at] = 0; W[p + at + 1] = 0x3c; } // f16 1.0
          const xq = new Uint8Array(actRowBytes(a, n_in)), nb = n_in / block, dv = new DataView(xq.buffer);
          for (let b = 0; b < nb; b++) dv.setFloat32(4 * b, 1, true);
          const qo = xq.length - n_in, pick = [-128, -127, 127][i % 3];
          for (let k = 0; k < n_in; k++) xq[qo + k] = (i % 2 === 0 ? pick : [-128, 127, -127, rng.int(-128, 127)][rng.int(0, 3)]) & 255;
          if (a === "q8_k") for (let j = 0; j < n_in / 32; j++) dv.setInt32(4 * nb + 4 * j, rng.int(-4096, 4096), true);
          const want = new Float32Array(n_out).fill(SENTINEL);
          refGemv(t, W, xq, want, n_in, 0, n_out);
          const tw = rt.tensor(t, [n_out, n_in]).write(W), tq = rt.tensor("u8", [xq.length]).write(xq);
          const ty = rt.fromArray(new Float32Array(n_out).fill(SENTINEL));
          gemvQInt(ty, tw, tq);
          assert.deepEqual(bits(ty.f32()), bits(want), `${t} ${n_out}x${n_in}, x ${i % 2 === 0 ? pick : "mixed"}`);
          tw.dispose(); tq.dispose(); ty.dispose();
        }
      });

      it(`${t}: NaN in x or in a weight scale gives NaN outputs`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(9);
        const n_in = block * 3, n_out = 5;
        const { W } = weights(rng, t, n_out, n_in);
        const x = rng.array(n_in);
        const tw = rt.tensor(t, [n_out, n_in]).write(W), tq = rt.tensor("u8", [actRowBytes(a, n_in)]), y = rt.zeros([n_out]);
        x[n_in - 3] = NaN;
        const tx = rt.fromArray(x);
        quantizeRows(a, tq, tx, n_in);
        gemvQInt(y, tw, tq);
        assert.ok(y.f32().every(Number.isNaN), `NaN in x: ${Array.from(y.f32())}`);
        x[n_in - 3] = 1;
        tx.write(x);
        const Wn = W.slice(), rb = ref.rowBytes(t, n_in), at = t === "q6_k" ? 208 : 0;
        Wn[2 * rb + at + 1] = 0x7e; Wn[2 * rb + at] = 0; // row 2, block 0: f16 scale d NaN
        tw.write(Wn);
        quantizeRows(a, tq, tx, n_in);
        gemvQInt(y, tw, tq);
        const yv = Array.from(y.f32());
        assert.ok(Number.isNaN(yv[2]) && yv.every((v, r) => r === 2 || Number.isFinite(v)), `NaN scale in row 2: ${yv}`);
        for (const u of [tw, tq, y, tx]) u.dispose();
      });
    }

    it("rejects bad dtypes, sizes and ranges with clear errors", async () => {
      const rt = await runtimeFor(build);
      const w = rt.tensor("q8_0", [2, 64]), w41 = rt.tensor("q4_1", [2, 64]), x = rt.zeros([64]), y = rt.zeros([2]);
      const q = rt.tensor("u8", [actRowBytes("q8_0", 64)]), small = rt.tensor("u8", [10]);
      assert.throws(() => gemvQInt(y, w41, q), /no quantized kernel for W of dtype q4_1/);
      assert.throws(() => gemvQInt(y, w, small), /xq has 10 bytes, needs 72/);
      assert.throws(() => gemvQInt(y, w, x), /xq is f32, expected u8/);
      assert.throws(() => gemvQInt(y, w, q, 1, 3), /row range \[1, 3\)/);
      assert.throws(() => quantizeRows("q8_0", q, x, 48), /n_in 48 must be a positive multiple of 32/);
      assert.throws(() => quantizeRows("q8_k", q, x, 64), /n_in 64 must be a positive multiple of 256/);
      assert.throws(() => quantizeRows("q8_0", small, x, 64), /Xq has 10 bytes, needs 72/);
      assert.throws(() => quantizeRows("q8_0", q, rt.zeros([32]), 64), /X has 32 elements/);
      assert.throws(() => quantizeRows("q5" as ActQuant, q, x, 64), /unknown activation quantization q5/);
      for (const u of [w, w41, x, y, q, small]) u.dispose();
    });
  });
}

describe("qdot (ts fallback)", () => {
  it("the fallback table wires pointers to the references", async () => {
    const rt: Runtime = await createRuntime({ build: "ts" });
    const rng = new Rng(5);
    for (const t of INT_DOT_DTYPES) {
      const a = INT_DOT_ACT[t], n_in = BLOCK[a] * 2, { W } = weights(rng, t, 3, n_in), x = rng.array(n_in);
      const xq = new Uint8Array(actRowBytes(a, n_in)), want = new Float32Array(3);
      refQuantize(a, x, xq, n_in, 1);
      refGemv(t, W, xq, want, n_in, 0, 3);
      const tw = rt.tensor(t, [3, n_in]).write(W), tx = rt.fromArray(x), tq = rt.tensor("u8", [xq.length]), ty = rt.zeros([3]);
      quantizeRows(a, tq, tx, n_in);
      assert.deepEqual(tq.bytes(), xq);
      gemvQInt(ty, tw, tq);
      assert.deepEqual(ty.f32(), want);
      for (const u of [tw, tx, tq, ty]) u.dispose();
    }
  });
});
