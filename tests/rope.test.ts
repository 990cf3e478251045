import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/rope.ts";
import { rope, ropeInvFreq, ropeTable } from "../src/wasm/ops/rope.ts";
import type { Runtime } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";

type Style = "pairs" | "half";
const LLAMA31 = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };

function posTensor(rt: Runtime, pos: number[]): Tensor {
  const t = rt.tensor("i32", [pos.length]);
  t.i32().set(pos);
  return t;
}

// rope on a copy of x; returns the rotated values
function runRope(rt: Runtime, x: Float32Array, table: Tensor, pos: number[], o: { nHeads: number; headDim: number; rotDim: number; style: Style; r0?: number; r1?: number }): Float32Array {
  const tx = rt.fromArray(x), tp = posTensor(rt, pos);
  rope(tx, table, tp, o);
  const out = tx.toFloat32Array();
  tx.dispose(); tp.dispose();
  return out;
}

// llama.cpp's converter permutes the q/k rows of each head from Hugging Face's half layout
// to interleaved pairs: reshape (2, headDim/2) -> swap axes -> (headDim/2, 2)
function halfToPairs(x: Float32Array, headDim: number): Float32Array {
  const out = new Float32Array(x.length), half = headDim / 2;
  for (let base = 0; base < x.length; base += headDim) {
    for (let j = 0; j < half; j++) {
      out[base + 2 * j] = x[base + j];
      out[base + 2 * j + 1] = x[base + half + j];
    }
  }
  return out;
}

for (const build of WASM_BUILDS) {
  describe(`rope_pairs_f32 / rope_half_f32 (${build})`, { skip: skipReason(build) }, () => {
    // The kernel and the reference run the same f32 operations (no fused multiply-add in
    // either build), so results must agree exactly.
    it("match the reference exactly on 250 random shapes, both styles, partial rotation and row ranges", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(31);
      for (let t = 0; t < 250; t++) {
        const headDim = 2 * rng.int(1, 48);
        const rotDim = t % 3 === 0 ? headDim : 2 * rng.int(0, headDim / 2);
        const nHeads = rng.int(1, 5), rows = rng.int(1, 5), maxPos = rng.int(1, 64);
        const style: Style = t % 2 ? "pairs" : "half";
        const table = ropeTable(rt, { rotDim, theta: [10000, 500000][t % 2], maxPos });
        const pos = Array.from({ length: rows }, () => rng.int(0, maxPos - 1));
        const x = rng.array(rows * nHeads * headDim, 3);
        const r0 = rng.int(0, rows), r1 = rng.int(r0, rows);
        const got = runRope(rt, x, table, pos, { nHeads, headDim, rotDim, style, r0, r1 });
        const want = x.slice();
        const kernel = style === "pairs" ? ref.rope_pairs_f32 : ref.rope_half_f32;
        kernel(want, table.toFloat32Array(), Int32Array.from(pos), nHeads, headDim, rotDim, r0, r1);
        assertClose(got, want, 0, 0, `t=${t} ${style} rows=${rows} heads=${nHeads} headDim=${headDim} rotDim=${rotDim} [${r0},${r1})`);
        // dims past rotDim and rows outside [r0, r1) are untouched
        for (let r = 0; r < rows; r++) {
          for (let h = 0; h < nHeads; h++) {
            const o = (r * nHeads + h) * headDim;
            const from = r >= r0 && r < r1 ? rotDim : 0;
            for (let c = from; c < headDim; c++) assert.equal(got[o + c], x[o + c], `untouched [${r},${h},${c}]`);
          }
        }
        table.dispose();
      }
    });

    it("pairs on converter-permuted rows equals half on Hugging Face rows, bit for bit", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(32);
      for (const [nHeads, headDim] of [[4, 64], [3, 6], [2, 10], [1, 128]]) {
        const rows = 5, maxPos = 300;
        const table = ropeTable(rt, { rotDim: headDim, theta: 500000, scaling: LLAMA31, maxPos });
        const pos = Array.from({ length: rows }, () => rng.int(0, maxPos - 1));
        const xHalf = rng.array(rows * nHeads * headDim, 2);
        const o = { nHeads, headDim, rotDim: headDim };
        const half = runRope(rt, xHalf, table, pos, { ...o, style: "half" });
        const pairs = runRope(rt, halfToPairs(xHalf, headDim), table, pos, { ...o, style: "pairs" });
        assert.deepEqual(pairs, halfToPairs(half, headDim), `heads=${nHeads} headDim=${headDim}`);
        table.dispose();
      }
    });

    it("rotates as Hugging Face's apply_rotary_pos_emb does (float64 formula)", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(33);
      const nHeads = 2, headDim = 16, rotDim = 12, maxPos = 2000, theta = 10000;
      const table = ropeTable(rt, { rotDim, theta, maxPos });
      const pos = [0, 1, 7, 1999];
      const x = rng.array(pos.length * nHeads * headDim, 1);
      const got = runRope(rt, x, table, pos, { nHeads, headDim, rotDim, style: "half" });
      const want = x.slice(), half = rotDim / 2;
      for (let r = 0; r < pos.length; r++) {
        for (let h = 0; h < nHeads; h++) {
          const o = (r * nHeads + h) * headDim;
          for (let i = 0; i < half; i++) {
            const a = pos[r] * theta ** (-(2 * i) / rotDim);
            // q * cos + rotate_half(q) * sin, rotate_half(q) = (-q2, q1)
            want[o + i] = x[o + i] * Math.cos(a) - x[o + i + half] * Math.sin(a);
            want[o + i + half] = x[o + i + half] * Math.cos(a) + x[o + i] * Math.sin(a);
          }
        }
      }
      // f32 table entries (0.5 ulp) and f32 products: 1e-6 absolute for |x| <= 1
      assertClose(got, want, 1e-6, 0, "HF formula");
      assert.deepEqual(got.subarray(0, nHeads * headDim), x.subarray(0, nHeads * headDim), "position 0 is the identity");
      table.dispose();
    });

    it("rejects bad arguments with their names", async () => {
      const rt = await runtimeFor(build);
      const table = ropeTable(rt, { rotDim: 8, theta: 10000, maxPos: 4 });
      const x = rt.zeros([2, 2, 8]), pos = posTensor(rt, [0, 3]), far = posTensor(rt, [0, 4]);
      const o = { nHeads: 2, headDim: 8, rotDim: 8, style: "pairs" as Style };
      rope(x, table, pos, o);
      assert.throws(() => rope(x, table, far, o), /pos\[1\] = 4 is outside the table's \[0, 4\)/);
      assert.throws(() => rope(x, table, pos, { ...o, rotDim: 6 }), /table has shape \[4, 4, 2\], expected \[maxPos, 3, 2\]/);
      assert.throws(() => rope(x, table, pos, { ...o, rotDim: 7 }), /rotDim must be an even/);
      assert.throws(() => rope(x, table, pos, { ...o, headDim: 4, nHeads: 4, rotDim: 8 }), /rotDim 8 is larger than headDim 4/);
      assert.throws(() => rope(x, table, posTensor(rt, [0]), o), /pos has 1 positions for 2 rows/);
      assert.throws(() => rope(x, table, x, o), /pos is f32, expected i32/);
      assert.throws(() => rope(x, table, pos, { ...o, style: "neox" as Style }), /style must be/);
      assert.throws(() => rope(x, table, pos, { ...o, r1: 3 }), /row range/);
      table.dispose(); x.dispose(); pos.dispose(); far.dispose();
    });
  });
}

describe("ropeInvFreq / ropeTable", () => {
  it("gives theta^(-2i/rotDim) without scaling", () => {
    const inv = ropeInvFreq(8, 10000);
    assertClose(inv, [1, 0.1, 0.01, 0.001], 0, 1e-15, "theta 10000, rotDim 8");
    assert.equal(ropeInvFreq(0, 10000).length, 0);
  });

  it("applies Llama 3.1 scaling (factor 8, low 1, high 4, original 8192, theta 500000) as Hugging Face does", () => {
    const inv = ropeInvFreq(128, 500000, LLAMA31);
    // values worked out from the rule: wavelength 2 pi / f below 2048 keeps f (i <= 28), above
    // 8192 divides by 8 (i >= 35), between blends: e.g. i = 30, f = 500000^(-60/128) =
    // 2.13111953691e-3, wavelength 2948.3026, s = (8192 / 2948.3026 - 1) / 3 = 0.592850,
    // (1 - s) f / 8 + s f = 1.37189356776e-3.
    const want: [number, number][] = [
      [0, 1], [20, 0.0165604400810], [28, 0.00321144599475],
      [29, 0.00216657076350], [30, 0.00137189356776], [32, 0.000524846160993], [34, 0.000178507812768],
      [35, 0.0000955621235396], [40, 0.0000342810219595], [63, 3.06892598891e-7],
    ];
    for (const [i, v] of want) assert.ok(Math.abs(inv[i] - v) <= 1e-11 * v, `inv_freq[${i}] = ${inv[i]}, expected ${v}`);
    // frequencies stay ordered (the blend is monotone)
    for (let i = 1; i < 64; i++) assert.ok(inv[i] < inv[i - 1], `inv_freq decreasing at ${i}`);
  });

  it("divides frequency i by freqFactors[i] (GGUF rope_freqs.weight), which reproduces Llama 3.1 scaling", () => {
    // llama.cpp's converter stores 1, factor, or 1 / ((1 - s) / factor + s) per frequency, in f32
    const plain = ropeInvFreq(128, 500000);
    const factors = new Float32Array(64);
    for (let i = 0; i < 64; i++) {
      const wl = (2 * Math.PI) / plain[i];
      const s = (8192 / wl - 1) / 3;
      factors[i] = wl < 2048 ? 1 : wl > 8192 ? 8 : 1 / ((1 - s) / 8 + s);
    }
    const inv = ropeInvFreq(128, 500000, undefined, factors);
    for (let i = 0; i < 64; i++) assert.equal(inv[i], plain[i] / factors[i], `inv_freq[${i}]`);
    // against the Hugging Face rule: equal up to the f32 rounding of the stored factors
    assertClose(inv, ropeInvFreq(128, 500000, LLAMA31), 0, 1e-7, "rope_freqs vs llama3 scaling");
    assert.ok(Math.abs(inv[63] - plain[63]) > 1e-7, "scaling changes the low frequencies");
  });

  it("rejects invalid scaling and dimensions", () => {
    assert.throws(() => ropeInvFreq(8, 10000, undefined, [1, 1, 1]), /3 frequency factors for 4 frequencies/);
    assert.throws(() => ropeInvFreq(8, 10000, undefined, [1, 0, 1, 1]), /frequency factor 1 is 0/);
    assert.throws(() => ropeInvFreq(8, 10000, undefined, [1, 1, NaN, 1]), /frequency factor 2 is NaN/);
    assert.throws(() => ropeInvFreq(8, 10000, LLAMA31, [1, 1, 1, 1]), /both llama3 scaling and per-frequency factors/);
    assert.throws(() => ropeInvFreq(7, 10000), /rotDim must be an even/);
    assert.throws(() => ropeInvFreq(8, 0), /theta must be > 0/);
    assert.throws(() => ropeInvFreq(8, 10000, { ...LLAMA31, highFreqFactor: 1 }), /invalid llama3 scaling/);
  });

  it("builds (maxPos, rotDim/2, 2) tables of (cos, sin) rounded from float64", async () => {
    const rt = await runtimeFor(skipReason("simd") ? "ts" : "simd");
    const t = ropeTable(rt, { rotDim: 6, theta: 10000, maxPos: 5000 });
    assert.deepEqual(t.shape, [5000, 3, 2]);
    const cs = t.f32(), inv = ropeInvFreq(6, 10000);
    for (const p of [0, 1, 123, 4999]) {
      for (let i = 0; i < 3; i++) {
        assert.equal(cs[(p * 3 + i) * 2], Math.fround(Math.cos(p * inv[i])), `cos p=${p} i=${i}`);
        assert.equal(cs[(p * 3 + i) * 2 + 1], Math.fround(Math.sin(p * inv[i])), `sin p=${p} i=${i}`);
      }
    }
    assert.deepEqual(Array.from(cs.subarray(0, 6)), [1, 0, 1, 0, 1, 0]);
    t.dispose();
  });
});
