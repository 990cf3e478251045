// X packed whole once (packX, pack_x) and read by gemmPX (gemm_f32_px, gemm_<t>_px): the path a
// chunk's linear layers take, so that the threads of a split, and the projections that share an
// input (q, k, v; gate, up), read one packed copy. It must give the bits of gemm / gemmQ, which
// pack X themselves, whatever the row parts it was packed in and the column parts computed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import { createRuntime, type Runtime } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";
import { DTYPE_BLOCK } from "../src/wasm/dtype.ts";
import { quantizeRow } from "../src/quant/index.ts";
import * as qref from "../src/ref/qmatmul.ts";
import { GEMM_F32_SCRATCH_FLOATS, GEMM_PX_SCRATCH_FLOATS, PACKED_ROWS_ALIGN, gemm, gemmPX, packAlign, packX, packedXFloats } from "../src/wasm/ops/matmul.ts";
import { Q_KERNEL_DTYPES, gemmQ, gemmScratchFloats } from "../src/wasm/ops/qmatmul.ts";

const DTYPES = ["f32", ...Q_KERNEL_DTYPES] as const;
type WType = (typeof DTYPES)[number];

function weights(rt: Runtime, rng: Rng, t: WType, n_out: number, n_in: number): Tensor {
  if (t === "f32") return rt.fromArray(rng.array(n_out * n_in, 2), [n_out, n_in]);
  const rb = qref.rowBytes(t, n_in), W = new Uint8Array(n_out * rb);
  for (let r = 0; r < n_out; r++) W.set(quantizeRow(t, new Float32Array(n_in).map(() => rng.normal() * 10 ** rng.int(-2, 1))), r * rb);
  return rt.tensor(t, [n_out, n_in]).write(W);
}

const bits = (t: Tensor) => new Uint32Array(t.f32().slice().buffer);

async function samesBits(rt: Runtime, t: WType, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const block = t === "f32" ? 1 : DTYPE_BLOCK[t][0];
  // n_in: several k blocks, not a multiple of 4 for f32; m: whole tiles, edges, past one 30-row part
  const n_in = t === "f32" ? 601 : block * (block === 32 ? 19 : 3), n_out = 45;
  const W = weights(rt, rng, t, n_out, n_in);
  const S = rt.zeros([Math.max(GEMM_F32_SCRATCH_FLOATS, gemmScratchFloats(n_in, 100))]), Spx = rt.zeros([GEMM_PX_SCRATCH_FLOATS]);
  for (const m of [16, 17, 29, 31, 61, 64, 97]) {
    const X = rt.fromArray(rng.array(m * n_in, 2), [m, n_in]);
    const want = rt.zeros([m, n_out]), got = rt.zeros([m, n_out]), PX = rt.zeros([packedXFloats(m, n_in)]);
    if (t === "f32") gemm(want, X, W, S, m);
    else gemmQ(want, X, W, S, m);
    // packed in row parts of whole 30-row groups, as a pool's threads pack it
    for (let r0 = 0; r0 < m; r0 += PACKED_ROWS_ALIGN * rng.int(1, 2)) packX(PX, X, m, packAlign(t), r0, Math.min(m, r0 + 2 * PACKED_ROWS_ALIGN));
    const cuts = [0, 8, rng.int(9, 20), 24, rng.int(25, 44), n_out];
    for (let i = 0; i + 1 < cuts.length; i++) gemmPX(got, PX, W, Spx, m, cuts[i], cuts[i + 1]);
    assert.deepEqual(bits(got), bits(want), `${t} m=${m} n_in=${n_in} cuts ${cuts}`);
    for (const u of [X, want, got, PX]) u.dispose();
  }
  for (const u of [W, S, Spx]) u.dispose();
}

for (const build of WASM_BUILDS) {
  describe(`gemm over a packed X (${build})`, { skip: skipReason(build) }, () => {
    for (const t of DTYPES) {
      it(`${t}: packX in row parts + gemmPX in column parts give the bits of ${t === "f32" ? "gemm" : "gemmQ"}`, async () => {
        await samesBits(await runtimeFor(build), t, 900 + DTYPES.indexOf(t));
      });
    }

    it("NaN in X reaches the outputs of its row only", async () => {
      const rt = await runtimeFor(build);
      const m = 20, n_in = 64, n_out = 16;
      const rng = new Rng(7);
      const X = rt.fromArray(rng.array(m * n_in), [m, n_in]), W = rt.fromArray(rng.array(n_out * n_in), [n_out, n_in]);
      X.f32()[5 * n_in + 3] = NaN;
      const Y = rt.zeros([m, n_out]), PX = rt.zeros([packedXFloats(m, n_in)]), S = rt.zeros([GEMM_PX_SCRATCH_FLOATS]);
      packX(PX, X, m, 4);
      gemmPX(Y, PX, W, S, m);
      const y = Y.f32();
      for (let i = 0; i < m; i++) for (let j = 0; j < n_out; j++) assert.equal(Number.isNaN(y[i * n_out + j]), i === 5, `Y[${i}, ${j}]`);
      for (const u of [X, W, Y, PX, S]) u.dispose();
    });

    it("rejects bad parts, sizes and dtypes with one clear error", async () => {
      const rt = await runtimeFor(build);
      const m = 40, n_in = 32, n_out = 8;
      const X = rt.zeros([m, n_in]), W = rt.zeros([n_out, n_in]), Y = rt.zeros([m, n_out]);
      const PX = rt.zeros([packedXFloats(m, n_in)]), S = rt.zeros([GEMM_PX_SCRATCH_FLOATS]), small = rt.zeros([10]);
      assert.throws(() => packX(PX, X, m, 4, 0, 20), /must start and end at multiples of 30/);
      assert.throws(() => packX(PX, X, m, 4, 10, m), /must start and end at multiples of 30/);
      assert.throws(() => packX(PX, X, m, 8), /align 8/);
      assert.throws(() => packX(small, X, m, 4), /PX has 10 floats/);
      assert.throws(() => packX(PX, X, m + 1, 4), /row range/);
      assert.throws(() => gemmPX(Y, PX, W, S, 15), /m = 15 must be in \[16, 40\]/);
      assert.throws(() => gemmPX(Y, small, W, S, m), /PX has 10 floats/);
      assert.throws(() => gemmPX(Y, PX, W, small, m), /scratch has 10 floats/);
      assert.throws(() => gemmPX(Y, PX, W, S, m, 4, 9), /column range/);
      const h = rt.tensor("f16", [n_out, n_in]);
      assert.throws(() => gemmPX(Y, PX, h, S, m), /no packed gemm for W of dtype f16/);
      for (const u of [X, W, Y, PX, S, small, h]) u.dispose();
    });
  });
}

describe("gemm over a packed X (ts fallback)", () => {
  it("the fallback's row-major copy gives the reference gemm's result", async () => {
    const rt = await createRuntime({ build: "ts" });
    const rng = new Rng(3);
    for (const t of ["f32", "q8_0"] as const) {
      const m = 33, n_in = 64, n_out = 9;
      const W = weights(rt, rng, t, n_out, n_in), X = rt.fromArray(rng.array(m * n_in), [m, n_in]);
      const want = rt.zeros([m, n_out]), got = rt.zeros([m, n_out]), PX = rt.zeros([packedXFloats(m, n_in)]);
      const S = rt.zeros([gemmScratchFloats(n_in, m)]);
      if (t === "f32") gemm(want, X, W, S, m);
      else gemmQ(want, X, W, S, m);
      packX(PX, X, m, packAlign(t), 0, 30);
      packX(PX, X, m, packAlign(t), 30, m);
      gemmPX(got, PX, W, S, m);
      assert.deepEqual(bits(got), bits(want), t);
      for (const u of [W, X, want, got, PX, S]) u.dispose();
    }
  });
});
