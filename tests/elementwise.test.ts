import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/elementwise.ts";
import { add, addRows, addStrided, axpy, scale } from "../src/wasm/ops/elementwise.ts";

for (const build of WASM_BUILDS) {
  describe(`elementwise (${build})`, { skip: skipReason(build) }, () => {
    it("add, scale, axpy match the reference on 200 random sizes and ranges", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(1);
      for (let t = 0; t < 200; t++) {
        const n = t < 20 ? t : rng.int(1, 3000);
        const i0 = rng.int(0, n), i1 = rng.int(i0, n);
        const a = rng.array(n, 3), b = rng.array(n, 3), y0 = rng.array(n, 1);
        const s = rng.uniform(2);
        const ta = rt.fromArray(a), tb = rt.fromArray(b), ty = rt.fromArray(y0);
        const want = y0.slice();
        ref.add_f32(a, b, want, i0, i1);
        add(ty, ta, tb, i0, i1);
        assertClose(ty.f32(), want, 0, 0, `add n=${n}`);
        ref.scale_f32(a, s, want, i0, i1);
        scale(ty, ta, s, i0, i1);
        assertClose(ty.f32(), want, 0, 0, `scale n=${n}`);
        ref.axpy_f32(b, s, want, i0, i1);
        axpy(ty, tb, s, i0, i1);
        assertClose(ty.f32(), want, 1e-6, 1e-6, `axpy n=${n}`);
        ta.dispose(); tb.dispose(); ty.dispose();
      }
    });

    it("addRows matches the reference on 200 random shapes", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(2);
      for (let t = 0; t < 200; t++) {
        const rows = rng.int(1, 9), n = rng.int(1, 300);
        const r0 = rng.int(0, rows), r1 = rng.int(r0, rows);
        const y0 = rng.array(rows * n), b = rng.array(n);
        const ty = rt.fromArray(y0), tb = rt.fromArray(b);
        ref.add_rows_f32(y0, b, n, r0, r1);
        addRows(ty, tb, r0, r1);
        assertClose(ty.f32(), y0, 0, 0, `addRows ${rows}x${n}`);
        ty.dispose(); tb.dispose();
      }
    });

    it("addStrided matches the reference on 200 random shapes and strides", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(4);
      for (let t = 0; t < 200; t++) {
        const rows = rng.int(1, 6), n = rng.int(1, 70), ys = n + rng.int(0, 9), xs = n + rng.int(0, 9);
        const yo = rng.int(0, 5), xo = rng.int(0, 5);
        const y0 = rng.array(yo + rows * ys), x = rng.array(xo + rows * xs);
        const ty = rt.fromArray(y0), tx = rt.fromArray(x);
        ref.add_strided_f32(y0.subarray(yo), ys, x.subarray(xo), xs, n, rows);
        addStrided(ty, yo, ys, tx, xo, xs, n, rows);
        assertClose(ty.f32(), y0, 0, 0, `addStrided ${rows}x${n}`);
        ty.dispose(); tx.dispose();
      }
      const a = rt.zeros([10]);
      assert.throws(() => addStrided(a, 0, 5, a, 0, 5, 5, 3), /y range outside/);
      a.dispose();
    });

    it("propagates NaN and infinities", async () => {
      const rt = await runtimeFor(build);
      const a = rt.fromArray([NaN, Infinity, -Infinity, 1, 2]);
      const b = rt.fromArray([1, -Infinity, -Infinity, NaN, 3]);
      const y = rt.zeros([5]);
      add(y, a, b);
      assertClose(y.f32(), [NaN, NaN, -Infinity, NaN, 5], 0, 0, "add");
      a.dispose(); b.dispose(); y.dispose();
    });

    it("rejects tensors of different sizes", async () => {
      const rt = await runtimeFor(build);
      const a = rt.zeros([4]), y = rt.zeros([5]);
      assert.throws(() => add(y, a, a), /sizes differ/);
      a.dispose(); y.dispose();
    });
  });
}
