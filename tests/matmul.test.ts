import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/matmul.ts";
import { GEMM_F32_SCRATCH_FLOATS, gemmF32ScratchFloats, gemm, gemv } from "../src/wasm/ops/matmul.ts";
import type { Runtime } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";

// Tolerance: the kernels sum in f32 in another order than the f64 reference. In gemv and the
// dot-product gemm (m < 16) each product passes through at most n_in/4 + 16 roundings (n_in/4
// per vector lane, then the horizontal sums, the n_in-block partial sums and the scalar tail);
// the packed gemm (m >= 16) sums each output along k in one lane: n_in roundings. So by the
// standard bound |err| <= L * 2^-24 * sum_k |W[r, k] x[k]| (Higham, gamma_L) with L = n_in/4 + 16
// for gemv and L = n_in + 16 for gemm. A dropped or doubled term is usually ~sum/n_in, well
// above this for the sizes tested.
const U = 2 ** -24;
function dotBound(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number, L = (n >> 2) + 16): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.abs(a[ao + k] * b[bo + k]);
  return L * U * s + 1e-30;
}
const gemmBound = (a: Float32Array, ao: number, b: Float32Array, bo: number, n: number) => dotBound(a, ao, b, bo, n, n + 16);

// sizes: the small odd ones first, then random ones (15..33 around gemv's 16-float trip and its
// 4-float steps and scalar tail)
const SMALL = [1, 2, 3, 4, 5, 7, 8, 9, 13, 15, 16, 17, 31, 32, 33];
function pick(rng: Rng, t: number, max: number): number {
  return t < SMALL.length * 3 ? SMALL[rng.int(0, SMALL.length - 1)] : rng.int(1, max);
}

function assertWithin(got: Float32Array, want: Float32Array, bound: (i: number) => number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= bound(i))) assert.fail(`${what}[${i}]: got ${got[i]}, expected ${want[i]} (|diff| ${d} > ${bound(i)})`);
  }
}

// gemm of m of `rows` random X rows against random W (n_out, n_in) into columns [n0, n1) of a
// random Y, against the reference: within gemmBound in range, unchanged (bound 0) outside it
function checkGemm(rt: Runtime, rng: Rng, S: Tensor, rows: number, m: number, n_out: number, n_in: number, n0: number, n1: number): void {
  const xv = rng.array(rows * n_in, 2), w = rng.array(n_out * n_in, 2), y0 = rng.array(rows * n_out, 1);
  const X = rt.fromArray(xv, [rows, n_in]), W = rt.fromArray(w, [n_out, n_in]), Y = rt.fromArray(y0, [rows, n_out]);
  const want = y0.slice();
  ref.gemm_f32(xv, w, want, m, n_in, n_out, n0, n1);
  gemm(Y, X, W, S, m, n0, n1);
  assertWithin(Y.f32(), want, (e) => {
    const i = Math.floor(e / n_out), j = e % n_out;
    return i >= m || j < n0 || j >= n1 ? 0 : gemmBound(xv, i * n_in, w, j * n_in, n_in);
  }, `gemm m=${m}/${rows} ${n_out}x${n_in} cols [${n0}, ${n1})`);
  X.dispose(); W.dispose(); Y.dispose();
}

for (const build of WASM_BUILDS) {
  describe(`matmul (${build})`, { skip: skipReason(build) }, () => {
    it("gemv_f32 matches the reference on 250 random shapes and row ranges", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(11);
      for (let t = 0; t < 250; t++) {
        const n_out = pick(rng, t, 70), n_in = t === 0 ? 0 : pick(rng, t, 1200);
        const r0 = rng.int(0, n_out), r1 = rng.int(r0, n_out);
        const w = rng.array(n_out * n_in, 2), xv = rng.array(n_in, 2), y0 = rng.array(n_out, 1);
        const W = rt.fromArray(w, [n_out, n_in]), x = rt.fromArray(xv), y = rt.fromArray(y0);
        const want = y0.slice();
        ref.gemv_f32(w, xv, want, n_in, r0, r1);
        gemv(y, W, x, r0, r1);
        // rows outside [r0, r1) keep their values: bound 0 there
        assertWithin(y.f32(), want, (r) => (r < r0 || r >= r1 ? 0 : dotBound(w, r * n_in, xv, 0, n_in)),
          `gemv ${n_out}x${n_in} rows [${r0}, ${r1})`);
        W.dispose(); x.dispose(); y.dispose();
      }
    });

    it("gemm_f32 matches the reference on 220 random shapes, row counts and column ranges", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(12);
      const S = rt.zeros([GEMM_F32_SCRATCH_FLOATS]);
      for (let t = 0; t < 220; t++) {
        // n_out up to 150 crosses the dot form's W-row blocks (32 rows) and the packed form's
        // 8-row panels; rows up to 40 cross the packed form's threshold (m >= 16) and its 5- and
        // 6-row tiles; n_in up to 1300 crosses its 256-float k blocks
        const rows = pick(rng, t, 40), n_out = pick(rng, t, 150), n_in = t === 0 ? 0 : pick(rng, t, 1300);
        const m = rng.int(0, rows);
        const n0 = rng.int(0, n_out), n1 = rng.int(n0, n_out);
        checkGemm(rt, rng, S, rows, m, n_out, n_in, n0, n1);
      }
      S.dispose();
    });

    it("gemm_f32 on every m from 1 to 17 and around the packed tiles, n_in not a multiple of 4", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(16);
      const S = rt.zeros([GEMM_F32_SCRATCH_FLOATS]);
      const ms = [...Array(17).keys()].map((i) => i + 1).concat([18, 23, 24, 25, 29, 30, 31, 35, 36, 37]);
      for (const m of ms) {
        for (const [n_out, n_in, n0, n1] of [[19, 258, 0, 19], [9, 7, 1, 9], [33, 515, 3, 30]]) {
          checkGemm(rt, rng, S, m, m, n_out, n_in, n0, n1);
        }
      }
      S.dispose();
    });

    it("gemm_f32 writes nothing past gemmF32ScratchFloats(m) of its scratch", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(17);
      // m = 600 fills the packed X block (516 rows) and starts a second one (the scratch any m
      // needs, GEMM_F32_SCRATCH_FLOATS); m = 16, 17 and 64 (a prefill chunk) need less, and their
      // last register tile is padded (5- and 6-row tiles); n_in 512: two full 256-float k blocks
      const n_out = 13, n_in = 512;
      assert.equal(gemmF32ScratchFloats(600), GEMM_F32_SCRATCH_FLOATS);
      for (const m of [600, 64, 17, 16]) {
        const need = gemmF32ScratchFloats(m);
        const X = rt.fromArray(rng.array(m * n_in), [m, n_in]), W = rt.fromArray(rng.array(n_out * n_in), [n_out, n_in]);
        const Y = rt.zeros([m, n_out]), S = rt.fromArray(new Float32Array(need + 64).fill(7));
        gemm(Y, X, W, S, m);
        const tail = S.f32().subarray(need);
        assert.ok(tail.every((v) => v === 7), `m=${m}: scratch written past its size`);
        assert.ok(S.f32().subarray(2048 + 64, need).some((v) => v !== 7), `m=${m}: the packed X block never used`);
        const want = new Float32Array(m * n_out);
        ref.gemm_f32(X.f32(), W.f32(), want, m, n_in, n_out, 0, n_out);
        assertClose(Y.toFloat32Array(), want, 1e-4, 1e-4, `m=${m}`);
        for (const t of [X, W, Y, S]) t.dispose();
      }
    });

    it("gemm_f32 sums across n_in blocks (n_in > 4096, partial sums through Y)", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(15);
      for (const [m, n_out, n_in] of [[4, 5, 4097], [5, 7, 8203], [1, 3, 12289], [17, 9, 4097], [22, 11, 8203]]) {
        const xv = rng.array(m * n_in), w = rng.array(n_out * n_in);
        const X = rt.fromArray(xv, [m, n_in]), W = rt.fromArray(w, [n_out, n_in]), Y = rt.zeros([m, n_out]);
        const S = rt.zeros([GEMM_F32_SCRATCH_FLOATS]);
        const want = new Float32Array(m * n_out);
        ref.gemm_f32(xv, w, want, m, n_in, n_out, 0, n_out);
        gemm(Y, X, W, S);
        assertWithin(Y.f32(), want, (e) => gemmBound(xv, Math.floor(e / n_out) * n_in, w, (e % n_out) * n_in, n_in),
          `gemm ${m}x${n_out}x${n_in}`);
        X.dispose(); W.dispose(); Y.dispose(); S.dispose();
      }
    });

    it("gemv over a row split equals gemv over all rows", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(14);
      const n_out = 29, n_in = 203;
      const W = rt.fromArray(rng.array(n_out * n_in), [n_out, n_in]), x = rt.fromArray(rng.array(n_in));
      const whole = rt.zeros([n_out]), split = rt.zeros([n_out]);
      gemv(whole, W, x);
      for (const [r0, r1] of [[0, 1], [1, 5], [5, 16], [16, 17], [17, 29]]) gemv(split, W, x, r0, r1);
      // each row is summed in the same order whatever the row range
      assertClose(split.f32(), whole.f32(), 0, 0, "split");
      for (const t of [W, x, whole, split]) t.dispose();
    });

    it("gemm over a column split equals gemm over all columns", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(13);
      const S = rt.zeros([GEMM_F32_SCRATCH_FLOATS]);
      // m = 7: the dot-product form; m = 16, 41: the packed form (splits off its 8-row panels)
      for (const m of [7, 16, 41]) {
        const n_in = 517, n_out = 67;
        const X = rt.fromArray(rng.array(m * n_in), [m, n_in]), W = rt.fromArray(rng.array(n_out * n_in), [n_out, n_in]);
        const whole = rt.zeros([m, n_out]), split = rt.zeros([m, n_out]);
        gemm(whole, X, W, S);
        for (const [n0, n1] of [[0, 30], [30, 33], [33, 60], [60, n_out]]) gemm(split, X, W, S, m, n0, n1);
        // the same kernel sums each output in the same order whatever the column range
        assertClose(split.f32(), whole.f32(), 0, 0, `split m=${m}`);
        // and whatever the rows around it: the first 16 rows alone (packed too)
        if (m >= 16) {
          const part = rt.zeros([m, n_out]);
          gemm(part, X, W, S, 16);
          assertClose(part.f32().subarray(0, 16 * n_out), whole.f32().subarray(0, 16 * n_out), 0, 0, `rows m=${m}`);
          part.dispose();
        }
        for (const t of [X, W, whole, split]) t.dispose();
      }
      S.dispose();
    });

    it("propagates NaN and infinities", async () => {
      const rt = await runtimeFor(build);
      const n_out = 6, n_in = 11;
      const w = new Float32Array(n_out * n_in).fill(1);
      w[1 * n_in + 3] = NaN;              // row 1: NaN
      w[2 * n_in + 10] = Infinity;        // row 2: +inf (in the scalar tail)
      w[3 * n_in + 0] = -Infinity;        // row 3: -inf
      w[4 * n_in + 2] = Infinity; w[4 * n_in + 5] = -Infinity; // row 4: inf - inf = NaN
      w[5 * n_in + 4] = 0;                // row 5: 0 * inf (x[4] = inf below) = NaN
      const xv = new Float32Array(n_in).fill(1);
      xv[4] = Infinity;
      // rows 0, 2, 3 also meet x[4] = inf with weight 1
      const want = [Infinity, NaN, Infinity, NaN, NaN, NaN];
      const W = rt.fromArray(w, [n_out, n_in]), x = rt.fromArray(xv), y = rt.zeros([n_out]);
      gemv(y, W, x);
      assertClose(y.f32(), want, 0, 0, "gemv");
      const S = rt.zeros([GEMM_F32_SCRATCH_FLOATS]);
      // 2 rows: the dot-product form; 17 rows: the packed form (its edge tile too)
      for (const m of [2, 17]) {
        const X = rt.fromArray(Array.from({ length: m }, () => [...xv]).flat(), [m, n_in]), Y = rt.zeros([m, n_out]);
        gemm(Y, X, W, S);
        assertClose(Y.f32(), Array.from({ length: m }, () => want).flat(), 0, 0, `gemm m=${m}`);
        X.dispose(); Y.dispose();
      }
      for (const t of [W, x, y, S]) t.dispose();
    });

    it("rejects mismatched shapes and ranges", async () => {
      const rt = await runtimeFor(build);
      const W = rt.zeros([4, 3]), x = rt.zeros([3]), y = rt.zeros([4]), X = rt.zeros([2, 3]), Y = rt.zeros([2, 4]);
      const x2 = rt.zeros([2]);
      assert.throws(() => gemv(y, W, x2), /x has 2 elements, W has n_in = 3/);
      x2.dispose();
      gemv(y, W, y); // a larger x is fine: its first n_in elements are used
      assert.throws(() => gemv(x, W, x), /y has 3 elements, W has n_out = 4/);
      assert.throws(() => gemv(y, W, x, 2, 5), /row range \[2, 5\)/);
      const S = rt.zeros([GEMM_F32_SCRATCH_FLOATS]), small = rt.zeros([gemmF32ScratchFloats(20) - 1]);
      const X20 = rt.zeros([20, 3]), Y20 = rt.zeros([20, 4]);
      assert.throws(() => gemm(Y, X, W, S, 3), /row range \[0, 3\)/);
      assert.throws(() => gemm(Y, X, W, S, 2, 3, 1), /column range \[3, 1\)/);
      assert.throws(() => gemm(X, X, W, S), /Y has 3 columns, W has n_out = 4/);
      assert.throws(() => gemm(Y20, X20, W, small), /scratch has \d+ floats, 20 rows need \d+/);
      gemm(Y, X, W, small); // 2 rows take the unpacked path: no scratch needed
      for (const t of [W, x, y, X, Y, S, small, X20, Y20]) t.dispose();
    });
  });
}
