import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { dequantizeRow, quantizeRow, quantErrorBound } from "../src/quant/index.ts";
import { f32ToF16, f16ToF32 } from "../src/quant/half.ts";
import { DTYPE_BLOCK, type DType } from "../src/wasm/dtype.ts";

const TYPES: DType[] = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k", "q6_k"];
const QTYPES = TYPES.filter((t) => t.startsWith("q"));

function deq(t: DType, bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  dequantizeRow(t, bytes, n, out);
  return out;
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

// same floats, bit for bit (signed zeros included)
function assertBitsEqual(actual: Float32Array, expected: ArrayLike<number>, what: string): void {
  assert.deepEqual(bits(actual), bits(Float32Array.from(expected)), what);
}

// every block's max |x - deq(q(x))| within quantErrorBound of that block
function assertRoundTrip(t: DType, x: Float32Array, what: string): void {
  const y = deq(t, quantizeRow(t, x), x.length);
  const block = DTYPE_BLOCK[t][0];
  for (let b = 0; b < x.length; b += block) {
    const bound = quantErrorBound(t, x.subarray(b, b + block));
    for (let i = b; i < b + block; i++) {
      const err = Math.abs(x[i] - y[i]);
      if (!(err <= bound)) assert.fail(`${what}: ${t}[${i}] x=${x[i]} got ${y[i]}, |err| ${err} > bound ${bound}`);
    }
  }
}

const u16le = (v: number): number[] => [v & 255, v >> 8];

describe("quant: round trip within the error bound", () => {
  const dists: [string, (r: Rng) => number][] = [
    ["uniform", (r) => r.uniform(1)],
    ["normal", (r) => r.normal()],
    ["shifted positive", (r) => 3 + r.uniform(1)],
    ["shifted negative", (r) => -5 + r.normal() * 0.1],
    ["wide magnitudes", (r) => r.normal() * 10 ** r.int(-3, 3)],
    ["tiny (subnormal f16 scales)", (r) => r.normal() * 1e-6],
    ["large", (r) => r.normal() * 300],
  ];
  for (const t of TYPES) {
    it(`${t}: 7 distributions x 6 sizes`, () => {
      const rng = new Rng(17);
      const block = DTYPE_BLOCK[t][0] === 1 ? 32 : DTYPE_BLOCK[t][0];
      for (const [name, gen] of dists) {
        for (const nb of [1, 2, 3, 5, 8, 13]) {
          const x = new Float32Array(nb * block).map(() => gen(rng));
          assertRoundTrip(t, x, `${name} n=${x.length}`);
        }
      }
    });
  }

  it("the bounds are not vacuous: typical errors use a good part of them", () => {
    // guards against a bound so loose that the round-trip test could not fail
    const rng = new Rng(5);
    for (const t of QTYPES) {
      const x = new Float32Array(256 * 16).map(() => rng.normal());
      const y = deq(t, quantizeRow(t, x), x.length);
      let worst = 0;
      const block = DTYPE_BLOCK[t][0];
      for (let b = 0; b < x.length; b += block) {
        const bound = quantErrorBound(t, x.subarray(b, b + block));
        for (let i = b; i < b + block; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / bound);
      }
      assert.ok(worst > 0.3 && worst <= 1, `${t}: worst error / bound = ${worst}`);
    }
  });
});

describe("quant: dequantization of hand-built blocks", () => {
  it("f16 and bf16", () => {
    const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x3555, 0x03ff];
    assertBitsEqual(deq("f16", Uint8Array.from(f16.flatMap(u16le)), 8),
      [1, -2, 65504, 2 ** -24, -0, Infinity, 0.333251953125, 1023 * 2 ** -24], "f16");
    const bf = [0x3f80, 0xc040, 0x7f80, 0x0001, 0x8000];
    assertBitsEqual(deq("bf16", Uint8Array.from(bf.flatMap(u16le)), 5), [1, -3, Infinity, 2 ** -133, -0], "bf16");
  });

  it("q8_0: qs * d", () => {
    const qs = [0, 1, -1, 127, -128, 2, -3, 5];
    const bytes = Uint8Array.from([...u16le(0x3800), ...Array.from({ length: 32 }, (_, j) => qs[j % 8] & 255)]); // d = 0.5
    assertBitsEqual(deq("q8_0", bytes, 32), Array.from({ length: 32 }, (_, j) => [0, 0.5, -0.5, 63.5, -64, 1, -1.5, 2.5][j % 8]), "q8_0");
  });

  it("q4_0: (nibble - 8) * d, low nibbles first", () => {
    // d = 2; byte j = j | (15 - j) << 4
    const bytes = Uint8Array.from([...u16le(0x4000), ...Array.from({ length: 16 }, (_, j) => j | ((15 - j) << 4))]);
    const want = [-16, -14, -12, -10, -8, -6, -4, -2, 0, 2, 4, 6, 8, 10, 12, 14, 14, 12, 10, 8, 6, 4, 2, 0, -2, -4, -6, -8, -10, -12, -14, -16];
    assertBitsEqual(deq("q4_0", bytes, 32), want, "q4_0");
  });

  it("q4_1: nibble * d + m", () => {
    // d = 1, m = -2, byte j = 0x5a: low 10 -> 8, high 5 -> 3
    const bytes = Uint8Array.from([...u16le(0x3c00), ...u16le(0xc000), ...new Array(16).fill(0x5a)]);
    assertBitsEqual(deq("q4_1", bytes, 32), [...new Array(16).fill(8), ...new Array(16).fill(3)], "q4_1");
  });

  it("q5_0: fifth bit from qh", () => {
    // d = 1, qs = 0x21 (low 1, high 2), qh = 0x0000ffff: values 0..15 get the fifth bit
    const bytes = Uint8Array.from([...u16le(0x3c00), 0xff, 0xff, 0, 0, ...new Array(16).fill(0x21)]);
    assertBitsEqual(deq("q5_0", bytes, 32), [...new Array(16).fill(17 - 16), ...new Array(16).fill(2 - 16)], "q5_0");
  });

  it("q5_1: fifth bit from qh, plus min", () => {
    // d = 0.5, m = 1, qs = 0xf0 (low 0, high 15), qh = 0xffff0000: values 16..31 get the fifth bit
    const bytes = Uint8Array.from([...u16le(0x3800), ...u16le(0x3c00), 0, 0, 0xff, 0xff, ...new Array(16).fill(0xf0)]);
    assertBitsEqual(deq("q5_1", bytes, 32), [...new Array(16).fill(1), ...new Array(16).fill(31 * 0.5 + 1)], "q5_1");
  });

  // Q4_K / Q5_K scales for sub-blocks j = 0..7: sc = j + 1, m = 2j (all < 16, so no top bits)
  const kScales = [1, 2, 3, 4, 0, 2, 4, 6, 5 | (8 << 4), 6 | (10 << 4), 7 | (12 << 4), 8 | (14 << 4)];

  it("q4_k: d*sc*q - dmin*m per sub-block of 32", () => {
    // d = 1, dmin = 0.5, qs all 0x53: sub-blocks 0, 2, 4, 6 read 3, sub-blocks 1, 3, 5, 7 read 5
    const bytes = Uint8Array.from([...u16le(0x3c00), ...u16le(0x3800), ...kScales, ...new Array(128).fill(0x53)]);
    const perSub = [3, 9, 7, 17, 11, 25, 15, 33]; // (j even ? 3 : 5) * (j + 1) - 0.5 * 2j
    assertBitsEqual(deq("q4_k", bytes, 256), Array.from({ length: 256 }, (_, i) => perSub[i >> 5]), "q4_k");
    // 6-bit values with top bits: sub-block 4 with sc = 63, m = 33
    const s = bytes.slice();
    s[4 + 8] = 15 | (1 << 4); // low nibbles of sc_4 (15) and m_4 (1)
    s[4 + 0] |= 3 << 6;       // top bits of sc_4
    s[4 + 4] |= 2 << 6;       // top bits of m_4
    const y = deq("q4_k", s, 256);
    assert.equal(y[128], 63 * 3 - 0.5 * 33);
    assert.equal(y[0], 3); // sub-block 0 keeps sc = 1, m = 0
  });

  it("q5_k: fifth bit of sub-block j is bit j of qh[l]", () => {
    // as q4_k, with qh all 0x55: even sub-blocks add 16 to their quants
    const bytes = Uint8Array.from([...u16le(0x3c00), ...u16le(0x3800), ...kScales, ...new Array(32).fill(0x55), ...new Array(128).fill(0x53)]);
    const perSub = [19, 9, 55, 17, 91, 25, 127, 33]; // even: 19 (j + 1) - j, odd: 5 (j + 1) - j
    assertBitsEqual(deq("q5_k", bytes, 256), Array.from({ length: 256 }, (_, i) => perSub[i >> 5]), "q5_k");
  });

  it("q6_k: d*sc*(q - 32) per sub-block of 16", () => {
    // d = 0.5, scales[k] = k - 8; ql all 0x21, qh all 0xe4 (2-bit fields 0, 1, 2, 3), so within each
    // half of 128 the four runs of 32 read q - 32 = 1 - 32, 17 - 32, 34 - 32, 50 - 32
    const bytes = Uint8Array.from([...new Array(128).fill(0x21), ...new Array(64).fill(0xe4),
      ...Array.from({ length: 16 }, (_, k) => (k - 8) & 255), ...u16le(0x3800)]);
    const q = [-31, -15, 2, 18];
    const y = deq("q6_k", bytes, 256);
    assertBitsEqual(y, Array.from({ length: 256 }, (_, i) => 0.5 * ((i >> 4) - 8) * q[(i & 127) >> 5]), "q6_k");
    assert.deepEqual([y[0], y[16], y[32], y[64], y[96], y[144], y[255]], [124, 108.5, 45, -4, -18, -15.5, 63]);
  });

  it("subnormal f16 scales dequantize exactly", () => {
    const bytes = Uint8Array.from([...u16le(0x0001), 1, 255, 127, 0x80, ...new Array(28).fill(0)]); // d = 2^-24
    const y = deq("q8_0", bytes, 32);
    assert.deepEqual(Array.from(y.subarray(0, 4)), [2 ** -24, -(2 ** -24), 127 * 2 ** -24, -128 * 2 ** -24]);
    const b4 = Uint8Array.from([...u16le(0x0200), ...new Array(16).fill(0x0f)]); // d = 2^-15 (largest subnormal power), q - 8 = 7, -8
    const y4 = deq("q4_0", b4, 32);
    assert.equal(y4[0], 7 * 2 ** -15);
    assert.equal(y4[16], -8 * 2 ** -15);
  });
});

describe("quant: ggml's reference quantizers", () => {
  it("q8_0: d = absmax / 127, round half away from zero", () => {
    const x = new Float32Array(32);
    x.set([127, -127, 0.5, -0.5, 1.5, 2.49, -2.5]);
    const q = quantizeRow("q8_0", x);
    assert.deepEqual(Array.from(q.subarray(0, 9)), [...u16le(0x3c00), 127, 129, 1, 255, 2, 2, 253]);
  });

  it("q4_0: the largest magnitude maps to -8, trunc(x / d + 8.5) clamped to 15", () => {
    const x = new Float32Array(32);
    x.set([-16, 1, 3]); x.set([15, -1, -3], 16); // d = -16 / -8 = 2
    const q = quantizeRow("q4_0", x);
    assert.deepEqual(Array.from(q), [...u16le(0x4000), 0xf0, 0x89, 0x7a, ...new Array(13).fill(0x88)]);
  });

  it("q4_1: d = (max - min) / 15, m = min", () => {
    const x = new Float32Array(32).fill(1);
    x[0] = -2; x[16] = 13; // d = 1, m = -2; 1 -> 3
    const q = quantizeRow("q4_1", x);
    assert.deepEqual(Array.from(q), [...u16le(0x3c00), ...u16le(0xc000), 0x30, ...new Array(15).fill(0x33)].map((v, i) => (i === 4 ? 0xf0 : v)));
  });

  it("f16 rounds to nearest even, overflows to inf, keeps -0, NaN -> 0x7e00", () => {
    const cases: [number, number][] = [[1, 0x3c00], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [65504, 0x7bff],
      [65519.99, 0x7bff], [65520, 0x7c00], [-1e9, 0xfc00], [2 ** -24, 0x0001], [2 ** -25, 0], [3 * 2 ** -25, 0x0002],
      [-0, 0x8000], [NaN, 0x7e00], [2 ** -14 - 2 ** -25, 0x0400]];
    for (const [x, h] of cases) assert.equal(f32ToF16(x), h, `f32ToF16(${x})`);
    for (let h = 0; h < 0x7c00; h += 7) assert.equal(f32ToF16(f16ToF32(h)), h, `f16 ${h} round trip`);
  });

  it("bf16 rounds to nearest even and keeps NaN", () => {
    const x = Float32Array.from([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -0, NaN]);
    assert.deepEqual(Array.from(quantizeRow("bf16", x)), [0x80, 0x3f, 0x80, 0x3f, 0x82, 0x3f, 0x00, 0x80, 0xc0, 0x7f]);
  });
});

describe("quant: edge cases", () => {
  it("an all-zero block dequantizes to zeros for every type", () => {
    for (const t of TYPES) {
      const n = Math.max(32, DTYPE_BLOCK[t][0]);
      const y = deq(t, quantizeRow(t, new Float32Array(n)), n);
      assert.ok(y.every((v) => v === 0), `${t}: ${y.find((v) => v !== 0)}`);
    }
    // as in ggml: d = 0 / -8 = -0 (f16 0x8000), quants trunc(0 + 8.5) = 8
    assert.deepEqual(Array.from(quantizeRow("q4_0", new Float32Array(32))), [0, 0x80, ...new Array(16).fill(0x88)]);
  });

  it("negative zero: kept by f16 / bf16 / f32, zero scale for the block types", () => {
    const x = new Float32Array(256).fill(-0);
    for (const t of ["f32", "f16", "bf16"] as DType[]) assert.ok(deq(t, quantizeRow(t, x), 256).every((v) => Object.is(v, -0)), t);
    for (const t of QTYPES) assert.ok(deq(t, quantizeRow(t, x), 256).every((v) => v === 0), t);
  });

  it("a block with one huge value: the others round toward zero, the huge one survives", () => {
    const rng = new Rng(23);
    for (const t of QTYPES) {
      for (const sign of [1, -1]) {
        const x = new Float32Array(256).map(() => rng.normal() * 0.01);
        x[37] = sign * 1e4;
        assertRoundTrip(t, x, `huge ${sign}`);
        const y = deq(t, quantizeRow(t, x), 256);
        // the huge value sits on the grid end it defines, up to the f16 scale and the 6/8-bit sub-scales
        assert.ok(Math.abs(y[37] - x[37]) <= 1e4 * (t.endsWith("k") ? 1 / 60 : 2 ** -10), `${t}: ${y[37]}`);
      }
    }
  });

  it("rejects unsupported dtypes and partial blocks", () => {
    assert.throws(() => quantizeRow("i32", new Float32Array(4)), /unsupported dtype i32/);
    assert.throws(() => dequantizeRow("u8", new Uint8Array(4), 4, new Float32Array(4)), /unsupported dtype u8/);
    assert.throws(() => quantizeRow("q4_k", new Float32Array(32)), /not a whole number of q4_k blocks/);
    assert.throws(() => dequantizeRow("q8_0", new Uint8Array(33), 32, new Float32Array(32)), /needs 34 bytes/);
    assert.throws(() => quantErrorBound("q8_0", new Float32Array(31)), /whole number/);
  });

  it("dequantizeRow writes at outOffset and nowhere else", () => {
    const x = new Float32Array(64).map((_, i) => i - 30);
    const out = new Float32Array(100).fill(7);
    dequantizeRow("q8_0", quantizeRow("q8_0", x), 64, out, 20);
    assert.ok(out.subarray(0, 20).every((v) => v === 7) && out.subarray(84).every((v) => v === 7));
    assert.deepEqual(out.subarray(20, 84), deq("q8_0", quantizeRow("q8_0", x), 64));
  });
});
