import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/convert.ts";
import { bf16ToF32, f16ToF32, halfToF32InPlace } from "../src/wasm/ops/convert.ts";
import type { Runtime } from "../src/wasm/runtime.ts";

// conversions are exact: results are compared as bits, NaN payloads included
function convert(rt: Runtime, kind: "f16" | "bf16", src: Uint16Array, i0 = 0, i1 = src.length, fill = 0x12345678): Uint32Array {
  const ts = rt.tensor(kind, [src.length]);
  ts.bytes().set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  const td = rt.tensor("f32", [src.length]);
  new Uint32Array(td.bytes().buffer, td.ptr, src.length).fill(fill);
  (kind === "f16" ? f16ToF32 : bf16ToF32)(td, ts, i0, i1);
  const out = new Uint32Array(td.bytes().slice().buffer);
  ts.dispose(); td.dispose();
  return out;
}

function expected(kind: "f16" | "bf16", src: Uint16Array, i0 = 0, i1 = src.length, fill = 0x12345678): Uint32Array {
  const out = new Uint32Array(src.length).fill(fill);
  (kind === "f16" ? ref.f16_to_f32 : ref.bf16_to_f32)(src, new Float32Array(out.buffer), i0, i1);
  return out;
}

function firstDiff(a: Uint32Array, b: Uint32Array): string {
  const i = a.findIndex((v, j) => v !== b[j]);
  return i < 0 ? "" : `at ${i}: got 0x${a[i].toString(16)}, expected 0x${b[i].toString(16)}`;
}

const ALL = Uint16Array.from({ length: 65536 }, (_, i) => i);

describe("f16 reference", () => {
  it("decodes known half values", () => {
    const cases: [number, number][] = [
      [0x0000, 0], [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504],
      [0x0400, 2 ** -14], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x7c00, Infinity], [0xfc00, -Infinity],
    ];
    const f = new Float32Array(1);
    for (const [h, v] of cases) {
      ref.f16_to_f32(Uint16Array.of(h), f, 0, 1);
      assert.equal(f[0], v, `0x${h.toString(16)}`);
    }
    ref.f16_to_f32(Uint16Array.of(0x8000), f, 0, 1);
    assert.ok(Object.is(f[0], -0), "-0");
    assert.equal(ref.f16Bits(0x7e01), 0x7fc02000, "NaN payload shifted into the f32 mantissa");
    assert.equal(ref.f16Bits(0xfd00), 0xffa00000, "negative signalling NaN keeps sign and payload");
  });

  it("agrees with Float16Array where the runtime has one", { skip: typeof (globalThis as { Float16Array?: unknown }).Float16Array === "undefined" ? "no Float16Array in this runtime" : undefined }, () => {
    const F16 = (globalThis as unknown as { Float16Array: new (b: ArrayBuffer) => ArrayLike<number> }).Float16Array;
    const native = new F16(ALL.slice().buffer);
    const f = new Float32Array(65536);
    ref.f16_to_f32(ALL, f, 0, 65536);
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(native[h])) assert.ok(Number.isNaN(f[h]), `0x${h.toString(16)}`);
      else assert.ok(Object.is(f[h], native[h]), `0x${h.toString(16)}: ${f[h]} vs ${native[h]}`);
    }
  });
});

for (const build of WASM_BUILDS) {
  describe(`f16_to_f32 / bf16_to_f32 (${build})`, { skip: skipReason(build) }, () => {
    it("f16_to_f32 converts all 65536 half values exactly, from aligned and unaligned starts", async () => {
      const rt = await runtimeFor(build);
      for (const [i0, i1] of [[0, 65536], [3, 65531]]) {
        const got = convert(rt, "f16", ALL, i0, i1), want = expected("f16", ALL, i0, i1);
        assert.equal(firstDiff(got, want), "", `[${i0}, ${i1})`);
      }
    });

    it("bf16_to_f32 converts all 65536 bfloat16 values exactly", async () => {
      const rt = await runtimeFor(build);
      for (const [i0, i1] of [[0, 65536], [5, 65533]]) {
        const got = convert(rt, "bf16", ALL, i0, i1), want = expected("bf16", ALL, i0, i1);
        assert.equal(firstDiff(got, want), "", `[${i0}, ${i1})`);
      }
    });

    it("match the reference on 200 random sizes and ranges, leaving the rest untouched", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(51);
      for (let t = 0; t < 200; t++) {
        const n = t < 20 ? t : rng.int(1, 500);
        const i0 = rng.int(0, n), i1 = rng.int(i0, n);
        const src = Uint16Array.from({ length: n }, () => rng.int(0, 65535));
        for (const kind of ["f16", "bf16"] as const) {
          assert.equal(firstDiff(convert(rt, kind, src, i0, i1), expected(kind, src, i0, i1)), "", `t=${t} ${kind} n=${n} [${i0},${i1})`);
        }
      }
    });

    it("rejects wrong dtypes and sizes", async () => {
      const rt = await runtimeFor(build);
      const h = rt.tensor("f16", [4]), b = rt.tensor("bf16", [4]), d = rt.zeros([4]), d5 = rt.zeros([5]);
      assert.throws(() => f16ToF32(d, b), /src is bf16, expected f16/);
      assert.throws(() => bf16ToF32(d, h), /src is f16, expected bf16/);
      assert.throws(() => f16ToF32(d5, h), /sizes differ/);
      assert.throws(() => f16ToF32(h, h), /dst is f16, expected f32/);
      h.dispose(); b.dispose(); d.dispose(); d5.dispose();
    });

    it("halfToF32InPlace widens halves stored in the tensor's upper half, exact, at every size", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(33);
      const sizes = [1, 2, 7, 8, 9, 15, 16, 17, 65536, ...Array.from({ length: 40 }, () => rng.int(1, 3000))];
      for (const kind of ["f16", "bf16"] as const) {
        for (const n of sizes) {
          const src = n === 65536 ? ALL : Uint16Array.from({ length: n }, () => rng.int(0, 65535));
          const t = rt.tensor("f32", [n]).write(new Float32Array(n).fill(NaN));
          t.bytes().set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), n * 2);
          halfToF32InPlace(t, kind);
          const got = new Uint32Array(t.bytes().slice().buffer);
          assert.equal(firstDiff(got, expected(kind, src)), "", `${kind} n=${n}`);
          t.dispose();
        }
      }
    });
  });
}
