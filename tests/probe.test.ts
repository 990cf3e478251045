import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/probe.ts";
import { probePeak, probeSum } from "../src/wasm/ops/probe.ts";

for (const build of WASM_BUILDS) {
  describe(`probe (${build})`, { skip: skipReason(build) }, () => {
    it("probe_peak_f32 runs n_iter exact steps (b = 0.5 makes every product exact)", async () => {
      const rt = await runtimeFor(build);
      for (const n of [0, 1, 2, 3, 7, 30, 1000]) assert.equal(probePeak(rt, n, 0.5, 1), ref.probe_peak_f32(n, 0.5, 1), `n_iter=${n}`);
    });

    it("probe_sum_f32 sums every element once (integers: exact in any order), any n", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(3);
      for (const n of [0, 1, 5, 31, 32, 33, 63, 64, 100, 4099, 4128]) {
        const a = new Float32Array(n).map(() => rng.int(-50, 50));
        const t = rt.fromArray(a);
        assert.equal(probeSum(t), ref.probe_sum_f32(a, n), `n=${n}`);
        t.dispose();
      }
    });
  });
}
