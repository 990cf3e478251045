import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/attention.ts";
import { attnDecode, attnPrefill, attnPrefillScoresFloats } from "../src/wasm/ops/attention.ts";
import { attnWindowScores } from "../src/wasm/ops/aggregate.ts";

// Tolerances. The kernels sum dot products in f32 (SIMD lanes, FMA in the relaxed build) and use
// a polynomial exp (~2 ulp); the reference sums in f64 with Math.exp. With |q|, |k| <= 1 and
// head_dim <= 96 a score is off by < 1e-6 absolute, which moves each softmax weight by < ~2e-6
// relative; the weighted sum of |v| <= 1 values is then off by < 1e-6 absolute. Measured worst
// cases on these tests are ~5x below the bounds used.
const W_ATOL = 1e-8, W_RTOL = 1e-5;   // softmax weights
const O_ATOL = 2e-6, O_RTOL = 1e-5;   // attention outputs

// a random shape: sizes not multiples of 4 included, empty cache early on
function shape(rng: Rng, t: number) {
  const headDim = t % 10 === 0 ? 64 : rng.int(1, 96);
  const nKv = t < 6 ? t : rng.int(1, t % 7 === 0 ? 700 : 130);
  const nGroup = rng.int(1, 5);
  const peak = rng.next() < 0.3 ? 4 : 1; // sharper softmax rows some of the time
  return { headDim, nKv, nGroup, peak, scale: 1 / Math.sqrt(headDim) };
}

for (const build of WASM_BUILDS) {
  describe(`attention (${build})`, { skip: skipReason(build) }, () => {
    it("attn_decode_f32 matches the reference on 250 random shapes, at offsets", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(11);
      for (let t = 0; t < 250; t++) {
        const { headDim, nKv, nGroup, peak, scale } = shape(rng, t);
        const gd = nGroup * headDim;
        const qOffset = rng.int(0, 2) * gd, outOffset = rng.int(0, 7);
        const cap = nKv + rng.int(0, 3), kOffset = rng.int(0, 5) * headDim, vOffset = rng.int(0, 3);
        const q = rng.array(qOffset + gd + 3, peak), k = rng.array(kOffset + cap * headDim), v = rng.array(vOffset + cap * headDim);
        const out0 = rng.array(outOffset + gd + 2, 9);
        const tq = rt.fromArray(q), tk = rt.fromArray(k), tv = rt.fromArray(v), tout = rt.fromArray(out0);
        const ts = rt.fromArray(rng.array(nGroup * nKv, 9));
        attnDecode(tout, tq, tk, tv, { nKv, headDim, nGroup, scale, scores: ts, qOffset, outOffset, kOffset, vOffset });
        const want = out0.slice(), wantS = new Float32Array(nGroup * nKv);
        ref.attn_decode_f32(q.subarray(qOffset), k.subarray(kOffset), v.subarray(vOffset), want.subarray(outOffset), wantS,
          nKv, headDim, nGroup, scale);
        const what = `nKv=${nKv} headDim=${headDim} nGroup=${nGroup}`;
        assertClose(ts.f32(), wantS, W_ATOL, W_RTOL, `scores ${what}`);
        assertClose(tout.f32(), want, O_ATOL, O_RTOL, `out ${what}`);
        for (const x of [tq, tk, tv, tout, ts]) x.dispose();
      }
    });

    it("attn_prefill_f32 matches the reference on 220 random chunks and row ranges", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(12);
      for (let t = 0; t < 220; t++) {
        const { headDim, nKv, nGroup, peak, scale } = shape(rng, t + 6);
        const m = rng.int(0, Math.min(nKv, 40));
        const nKvHeads = rng.int(1, 3), kvHead = rng.int(0, nKvHeads - 1);
        const qStride = nKvHeads * nGroup * headDim, qOffset = kvHead * nGroup * headDim;
        const i0 = rng.int(0, m), i1 = rng.int(i0, m);
        const q = rng.array(m * qStride, peak), k = rng.array(nKv * headDim), v = rng.array(nKv * headDim);
        const out0 = rng.array(m * qStride, 9); // rows outside [i0, i1) and other groups must keep these
        const tq = rt.fromArray(q), tk = rt.fromArray(k), tv = rt.fromArray(v), tout = rt.fromArray(out0);
        const ts = rt.zeros([Math.max(attnPrefillScoresFloats("f32", nKv), 1)]);
        attnPrefill(tout, tq, tk, tv, { m, nKv, headDim, nGroup, qStride, scale, scores: ts, qOffset, i0, i1 });
        const want = out0.slice();
        ref.attn_prefill_f32(q.subarray(qOffset), k, v, want.subarray(qOffset), new Float32Array(nKv),
          m, nKv, headDim, nGroup, qStride, scale, i0, i1);
        assertClose(tout.f32(), want, O_ATOL, O_RTOL, `prefill m=${m} nKv=${nKv} headDim=${headDim} nGroup=${nGroup} rows [${i0}, ${i1})`);
        for (const x of [tq, tk, tv, tout, ts]) x.dispose();
      }
    });

    it("prefill accumulates window rows' softmax weights: reference on 200 shapes, and equal to attnWindowScores", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(14);
      for (let t = 0; t < 200; t++) {
        const { headDim, nKv, nGroup, peak, scale } = shape(rng, t + 6);
        if (nKv === 0) continue;
        const m = rng.int(1, Math.min(nKv, 40)), accFrom = rng.int(0, m), accStride = nKv + rng.int(0, 5);
        const qStride = nGroup * headDim;
        const q = rng.array(m * qStride, peak), k = rng.array(nKv * headDim), v = rng.array(nKv * headDim);
        const acc0 = rng.array(nGroup * accStride, 0.5);
        const tq = rt.fromArray(q), tk = rt.fromArray(k), tv = rt.fromArray(v), tout = rt.zeros([m * qStride]);
        const ts = rt.zeros([attnPrefillScoresFloats("f32", nKv)]), tacc = rt.fromArray(acc0);
        attnPrefill(tout, tq, tk, tv, { m, nKv, headDim, nGroup, qStride, scale, scores: ts, acc: tacc, accFrom, accStride });
        const want = acc0.slice();
        ref.attn_prefill_f32(q, k, v, new Float32Array(m * qStride), new Float32Array(nKv), m, nKv, headDim, nGroup, qStride, scale, 0, m, want, accFrom, accStride);
        assertClose(tacc.f32(), want, 1e-6, 1e-5, `acc m=${m} nKv=${nKv} from ${accFrom}`);
        // the same sums as the window-scores kernel over the window rows (a zeroed accumulator)
        const w = m - accFrom;
        if (w > 0) {
          const z = rt.zeros([nGroup * accStride]), ws = rt.zeros([nGroup, nKv]);
          attnPrefill(tout, tq, tk, tv, { m, nKv, headDim, nGroup, qStride, scale, scores: ts, acc: z, accFrom, accStride });
          const qw = rt.fromArray(q.subarray(accFrom * qStride));
          attnWindowScores(ws, qw, tk, { w, nKv, headDim, nGroup, qStride, scale, mode: "sum", scores: ts });
          const zz = z.f32(), got = new Float32Array(nGroup * nKv);
          for (let g = 0; g < nGroup; g++) got.set(zz.subarray(g * accStride, g * accStride + nKv), g * nKv);
          assertClose(got, ws.f32(), 1e-6, 1e-5, `vs window scores w=${w}`);
          for (const x of [z, ws, qw]) x.dispose();
        }
        for (const x of [tq, tk, tv, tout, ts, tacc]) x.dispose();
      }
    });

    it("prefill row i equals decode over the first nKv - m + i + 1 rows", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(13);
      const headDim = 19, nGroup = 3, nKv = 37, m = 9, scale = 1 / Math.sqrt(headDim);
      const gd = nGroup * headDim;
      const tq = rt.fromArray(rng.array(m * gd, 2)), tk = rt.fromArray(rng.array(nKv * headDim)), tv = rt.fromArray(rng.array(nKv * headDim));
      const tout = rt.zeros([m * gd]), ts = rt.zeros([nGroup * nKv]), tdec = rt.zeros([gd]);
      attnPrefill(tout, tq, tk, tv, { m, nKv, headDim, nGroup, qStride: gd, scale, scores: ts });
      for (let i = 0; i < m; i++) {
        attnDecode(tdec, tq, tk, tv, { nKv: nKv - m + i + 1, headDim, nGroup, scale, scores: ts, qOffset: i * gd });
        // same kernels on the same rows: equal up to the order the scratch is visited in
        assertClose(tout.f32().subarray(i * gd, (i + 1) * gd), tdec.f32(), 1e-7, 1e-6, `row ${i}`);
      }
      for (const x of [tq, tk, tv, tout, ts, tdec]) x.dispose();
    });

    // f32 prefill takes the chunk's (row, head) pairs two at a time (attention.ts
    // attn_prefill_pairs_f32) and claims each head's bits equal the single-head order, which
    // decode computes too: exact equality, pairs straddling rows (odd n_group, odd i0), key
    // counts past and short of a multiple of 4, head_dim with and without a 16-float block
    it("f32 prefill in pairs of query heads gives decode's bits row by row", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(14);
      for (const [headDim, nGroup, nKv, m, i0] of [[64, 3, 70, 13, 1], [12, 1, 9, 9, 0], [20, 2, 33, 6, 3], [4, 5, 5, 5, 2], [48, 3, 130, 64, 0], [64, 1, 6, 3, 1]]) {
        const gd = nGroup * headDim, scale = 1 / Math.sqrt(headDim);
        const tq = rt.fromArray(rng.array(m * gd, 2)), tk = rt.fromArray(rng.array(nKv * headDim)), tv = rt.fromArray(rng.array(nKv * headDim));
        const tout = rt.zeros([m * gd]), ts = rt.zeros([Math.max(attnPrefillScoresFloats("f32", nKv), nGroup * nKv)]), tdec = rt.zeros([gd]);
        attnPrefill(tout, tq, tk, tv, { m, nKv, headDim, nGroup, qStride: gd, scale, scores: ts, i0 });
        for (let i = i0; i < m; i++) {
          attnDecode(tdec, tq, tk, tv, { nKv: nKv - m + i + 1, headDim, nGroup, scale, scores: ts, qOffset: i * gd });
          assert.deepEqual(tout.f32().subarray(i * gd, (i + 1) * gd), tdec.f32(), `headDim ${headDim} nGroup ${nGroup} nKv ${nKv} m ${m} row ${i}`);
        }
        for (const x of [tq, tk, tv, tout, ts, tdec]) x.dispose();
      }
    });

    it("an empty cache gives out = 0; one row gives out = v_0 and weight 1", async () => {
      const rt = await runtimeFor(build);
      const q = rt.fromArray([1, 2, 3, 4, 5, 6]), k = rt.fromArray([0.5, -1, 2]), v = rt.fromArray([7, 8, 9]);
      const out = rt.fromArray([1, 1, 1, 1, 1, 1]), s = rt.zeros([2]);
      attnDecode(out, q, k, v, { nKv: 0, headDim: 3, nGroup: 2, scale: 1, scores: s });
      assert.deepEqual([...out.f32()], [0, 0, 0, 0, 0, 0]);
      attnDecode(out, q, k, v, { nKv: 1, headDim: 3, nGroup: 2, scale: 1, scores: s });
      assert.deepEqual([...out.f32()], [7, 8, 9, 7, 8, 9]);
      assert.deepEqual([...s.f32()], [1, 1]);
      for (const x of [q, k, v, out, s]) x.dispose();
    });

    it("huge scores do not overflow: the softmax subtracts the row max", async () => {
      const rt = await runtimeFor(build);
      const q = rt.fromArray([1000, 0, 0, 0, 0]);                    // (1, 5)
      const k = rt.fromArray([1, 0, 0, 0, 0, 0.9, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0.95, 0, 0, 0, 0, 0.97, 0, 0, 0, 0]); // (5, 5)
      const v = rt.fromArray(Array.from({ length: 25 }, (_, i) => Math.floor(i / 5)));
      const out = rt.zeros([5]), s = rt.zeros([5]);
      attnDecode(out, q, k, v, { nKv: 5, headDim: 5, nGroup: 1, scale: 1, scores: s });
      const want = new Float32Array(5);
      ref.attn_decode_f32(q.f32(), k.f32(), v.f32(), want, new Float32Array(5), 5, 5, 1, 1);
      assert.ok(s.f32().every(Number.isFinite), `weights ${s.f32()}`);
      assertClose(out.f32(), want, 1e-5, 1e-5, "out");
      assertClose(s.f32(), [1, 0, 0, 0, 0], 1e-12, 0, "weights"); // e^-30 and below are < 1e-13
      for (const x of [q, k, v, out, s]) x.dispose();
    });

    it("a NaN query makes only its own head NaN", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(14);
      const headDim = 6, nKv = 11;
      const qa = rng.array(2 * headDim); qa[3] = NaN;
      const q = rt.fromArray(qa), k = rt.fromArray(rng.array(nKv * headDim)), v = rt.fromArray(rng.array(nKv * headDim));
      const out = rt.zeros([2 * headDim]), s = rt.zeros([2 * nKv]);
      attnDecode(out, q, k, v, { nKv, headDim, nGroup: 2, scale: 0.4, scores: s });
      assert.ok(out.f32().subarray(0, headDim).every(Number.isNaN));
      assert.ok(out.f32().subarray(headDim).every(Number.isFinite));
      assert.ok(s.f32().subarray(0, nKv).every(Number.isNaN));
      for (const x of [q, k, v, out, s]) x.dispose();
    });

    it("rejects bad shapes with clear errors", async () => {
      const rt = await runtimeFor(build);
      const q = rt.zeros([8]), k = rt.zeros([16]), out = rt.zeros([8]), s = rt.zeros([3]);
      assert.throws(() => attnDecode(out, q, k, k, { nKv: 4, headDim: 4, nGroup: 2, scale: 1, scores: s }), /scores needs/);
      assert.throws(() => attnDecode(out, q, k, k, { nKv: 5, headDim: 4, nGroup: 1, scale: 1, scores: rt.zeros([8]) }), /k needs/);
      assert.throws(() => attnPrefill(out, q, k, k, { m: 5, nKv: 4, headDim: 1, nGroup: 1, qStride: 1, scale: 1, scores: s }), /only nKv/);
      assert.throws(() => attnPrefill(out, q, k, k, { m: 2, nKv: 4, headDim: 4, nGroup: 1, qStride: 3, scale: 1, scores: s }), /qStride/);
      for (const x of [q, k, out, s]) x.dispose();
    });
  });
}
