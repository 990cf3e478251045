import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/copy.ts";
import { copyStrided, gatherRows } from "../src/wasm/ops/copy.ts";

for (const build of WASM_BUILDS) {
  describe(`row copies (${build})`, { skip: skipReason(build) }, () => {
    it("gatherRows matches the reference on 200 random shapes (f32 and i32, empty included)", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(21);
      for (let t = 0; t < 200; t++) {
        const srcRows = rng.int(1, 40), len = rng.int(1, 70), n = t < 5 ? t : rng.int(0, srcRows);
        const rows = Int32Array.from({ length: n }, () => rng.int(0, srcRows - 1));
        const src = rng.array(srcRows * len);
        const ts = rt.fromArray(src, [srcRows, len]), td = rt.zeros([Math.max(1, n), len]);
        const tr = rt.tensor("i32", [Math.max(1, n)]).write(rows);
        gatherRows(td, ts, tr, len, n);
        const want = new Uint32Array(n * len);
        ref.gather_rows_b32(want, new Uint32Array(src.buffer), rows, n, len);
        assert.deepEqual(new Uint32Array(td.f32().buffer, td.f32().byteOffset, n * len), want, `${n} rows of ${len}`);
        for (const x of [ts, td, tr]) x.dispose();
      }
    });

    it("gatherRows and copyStrided reject out-of-range rows and ranges", async () => {
      const rt = await runtimeFor(build);
      const a = rt.zeros([4, 3]), b = rt.zeros([4, 3]), r = rt.tensor("i32", [2]).write([1, 4]);
      assert.throws(() => gatherRows(a, b, r, 3), /row 4 outside \[0, 4\)/);
      assert.throws(() => gatherRows(a, a, r, 3, 1), /must differ/);
      assert.throws(() => copyStrided(a, 0, 3, b, 0, 3, 5, 3), /range \[0, 15\) outside the tensor's 12 elements/);
      copyStrided(a, 3, 3, b, 0, 6, 2, 3);
      for (const x of [a, b, r]) x.dispose();
    });
  });
}
