import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/activation.ts";
import { siluMul } from "../src/wasm/ops/activation.ts";

// Tolerance: exp within 1 ulp, then a e, 1 + e, the quotient and the product by b each round
// once, against a float64 silu rounded once: about 5 ulp (3e-7) relative; 1e-6 leaves margin.
// 1e-41 absolute covers a < -87, where e = exp(a) is subnormal (absolute precision 1.4e-45,
// times |a| <= 120 and |b| <= 3 here).
const RTOL = 1e-6, ATOL = 1e-41;

for (const build of WASM_BUILDS) {
  describe(`silu_mul_f32 (${build})`, { skip: skipReason(build) }, () => {
    it("matches the reference on 250 random sizes and ranges", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(41);
      for (let t = 0; t < 250; t++) {
        const n = t < 20 ? t : rng.int(1, 3000);
        const i0 = rng.int(0, n), i1 = rng.int(i0, n);
        const a = rng.array(n, [4, 20, 120][t % 3]), b = rng.array(n, 3), y0 = rng.array(n, 1);
        const ta = rt.fromArray(a), tb = rt.fromArray(b);
        const alias = t % 4 === 3;
        const ty = alias ? ta : rt.fromArray(y0);
        siluMul(ty, ta, tb, i0, i1);
        const want = (alias ? a : y0).slice();
        ref.silu_mul_f32(a, b, want, i0, i1);
        assertClose(ty.f32(), want, ATOL, RTOL, `t=${t} n=${n} [${i0},${i1}) alias=${alias}`);
        ta.dispose(); tb.dispose(); if (!alias) ty.dispose();
      }
    });

    it("gives no NaN for large or infinite gates, in SIMD lanes and in the tail", async () => {
      const rt = await runtimeFor(build);
      const a = [100, -100, Infinity, -Infinity, 88.8, -88.8, 1e30, -1e30, -0, 0, NaN, 3];
      const want = [100, -100 * Math.exp(-100), Infinity, -0, 88.8, -88.8 * Math.exp(-88.8), 1e30, -0, -0, 0, NaN, 3 / (1 + Math.exp(-3))];
      const n = a.length;
      const ta = rt.fromArray(a), tb = rt.fromArray(new Float32Array(n).fill(1)), ty = rt.zeros([n]);
      for (const [i0, i1] of [[0, n], [1, n]]) { // [1, n) shifts every value between lane and tail
        ty.f32().fill(7);
        siluMul(ty, ta, tb, i0, i1);
        const got = ty.toFloat32Array();
        for (let i = i0; i < n; i++) {
          assertClose([got[i]], [want[i]], ATOL, RTOL, `silu(${a[i]}) from ${i0}`);
          if (!Number.isNaN(a[i])) assert.ok(!Number.isNaN(got[i]), `silu(${a[i]}) is NaN`);
        }
      }
      ta.dispose(); tb.dispose(); ty.dispose();
    });

    it("rejects mismatched sizes and bad ranges", async () => {
      const rt = await runtimeFor(build);
      const a = rt.zeros([4]), y = rt.zeros([5]);
      assert.throws(() => siluMul(y, a, a), /sizes differ/);
      assert.throws(() => siluMul(a, a, a, 2, 5), /element range \[2, 5\)/);
      a.dispose(); y.dispose();
    });
  });
}
