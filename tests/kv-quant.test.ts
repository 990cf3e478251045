// Quantized KV rows (f16, Q8_0): the row kernels against their references bit for bit, the
// attention kernels over quantized rows against the reference on random shapes (head_dim not a
// multiple of 32 or of 8 included) and edge cases, and the store appending, pruning and
// measuring quantized blocks.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as refkv from "../src/ref/kvrows.ts";
import * as ref from "../src/ref/attention.ts";
import { attnDecode, attnPrefill, attnPrefillScoresFloats } from "../src/wasm/ops/attention.ts";
import { readKVRows, writeKVRows } from "../src/wasm/ops/kvrows.ts";
import { KVStore } from "../src/kv/store.ts";
import { checkKVType, kvRowBytes, type KVType } from "../src/kv/kv-type.ts";
import { decodeSnapshot, encodeKeyMeans, encodeSnapshot } from "../src/kv/snapshot.ts";
import type { Runtime } from "../src/wasm/runtime.ts";
import { f32ToF16 } from "../src/quant/half.ts";
import type { Tensor } from "../src/wasm/tensor.ts";

// Tolerances against the reference (same quantized rows, f64 sums): as tests/attention.test.ts,
// with the Q8_0 score a sum of per-block f32 products (< 1e-6 relative more).
const W_ATOL = 1e-8, W_RTOL = 2e-5;
const O_ATOL = 3e-6, O_RTOL = 2e-5;
const QTYPES = ["f16", "q8_0"] as const;

// rows (m, d) of `type` from f32 values, as a u8 tensor in the kernel memory
function rowsOf(rt: Runtime, type: "f16" | "q8_0", x: Float32Array, m: number, d: number): { t: Tensor; bytes: Uint8Array } {
  const bytes = new Uint8Array(Math.max(1, m) * kvRowBytes(type, d));
  refkv.kv_quantize_rows(type, x, d, bytes, d, m);
  return { t: rt.tensor("u8", [bytes.length]).write(bytes), bytes };
}

function headDim(rng: Rng, t: number): number {
  const special = [8, 32, 64, 1, 3, 33, 40, 96, 31, 7];
  return t < special.length ? special[t] : rng.int(1, 100);
}

for (const build of WASM_BUILDS) {
  describe(`quantized KV rows (${build})`, { skip: skipReason(build) }, () => {
    it("kv_quantize_rows and kv_dequantize_rows match the reference bit for bit (f16, q8_0; any head_dim)", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(41);
      for (const type of QTYPES) {
        for (let t = 0; t < 60; t++) {
          const d = headDim(rng, t), m = rng.int(1, 6), stride = d + rng.int(0, 5);
          const scale = [1, 1e-3, 300, 1e-6][t % 4];
          const x = rng.array(m * stride, scale);
          if (t % 7 === 3) x.fill(0, 0, stride);               // an all-zero row: scale 0, quants 0
          if (t % 11 === 5) x[rng.int(0, d - 1)] = 40000;      // f16 near its top
          const src = rt.fromArray(x), dst = rt.tensor("u8", [m, kvRowBytes(type, d)]);
          writeKVRows(dst, type, d, 0, src, 0, stride, m);
          const want = new Uint8Array(m * kvRowBytes(type, d));
          refkv.kv_quantize_rows(type, x, stride, want, d, m);
          assert.deepEqual(dst.bytes(), want, `${type} d=${d} m=${m}`);
          // centered rows (the store's keys, in Q8_0 and in a residual window's f16): x - mu, mu at an offset
          const mu = rng.array(d + 3, scale), muT = rt.fromArray(mu), cdst = rt.tensor("u8", [m, kvRowBytes(type, d)]);
          writeKVRows(cdst, type, d, 0, src, 0, stride, m, muT, 3);
          const cwant = new Uint8Array(m * kvRowBytes(type, d)), xc = new Float32Array(m * stride);
          for (let i = 0; i < m; i++) for (let c = 0; c < d; c++) xc[i * stride + c] = Math.fround(x[i * stride + c] - mu[3 + c]);
          refkv.kv_quantize_rows(type, xc, stride, cwant, d, m);
          assert.deepEqual(cdst.bytes(), cwant, `${type} d=${d} m=${m} centered`);
          muT.dispose(); cdst.dispose();
          const cref = new Uint8Array(m * kvRowBytes(type, d));
          refkv.kv_quantize_rows(type, x, stride, cref, d, m, mu.subarray(3));
          assert.deepEqual(cref, cwant, `${type} d=${d} m=${m} centered reference`);
          const back = rt.tensor("f32", [m, d]);
          readKVRows(back, dst, type, d, m);
          const wantBack = new Float32Array(m * d);
          refkv.kv_dequantize_rows(type, want, wantBack, d, m);
          assert.deepEqual(back.f32(), wantBack, `${type} d=${d} back`);
          // the rounding error is within the type's bound: f16 half an ulp (2^-11 relative, 2^-25
          // absolute among subnormals); Q8_0 half a quantization step s <= amax / 125 of the value's
          // block (the least-squares scale search), plus |q| <= 127 times the f16 rounding of s
          // (which underflows for tiny blocks)
          for (let i = 0; i < m; i++) for (let c = 0; c < d; c++) {
            const v = x[i * stride + c], got = wantBack[i * d + c];
            let bound: number;
            if (type === "f16") bound = Math.abs(v) * 2 ** -11 + 2 ** -25;
            else {
              const b0 = c - (c % 32);
              let amax = 0;
              for (let j = b0; j < Math.min(d, b0 + 32); j++) amax = Math.max(amax, Math.abs(x[i * stride + j]));
              const st = amax / 125;
              bound = st * (0.5 + 2 ** -20) + 127 * Math.max(st * 2 ** -11, 2 ** -25);
            }
            assert.ok(Math.abs(got - v) <= bound, `${type} d=${d}: ${v} -> ${got}, off by more than ${bound}`);
          }
          for (const z of [src, dst, back]) z.dispose();
        }
      }
    });

    it("a NaN or infinity in a Q8_0 block makes its scale non-finite and its quants 0; f16 keeps them", async () => {
      const rt = await runtimeFor(build);
      for (const bad of [NaN, Infinity, -Infinity]) {
        const x = new Float32Array(40).fill(0.5);
        x[3] = bad;
        const src = rt.fromArray(x);
        const q = rt.tensor("u8", [1, kvRowBytes("q8_0", 40)]), h = rt.tensor("u8", [1, kvRowBytes("f16", 40)]);
        writeKVRows(q, "q8_0", 40, 0, src, 0, 40, 1);
        writeKVRows(h, "f16", 40, 0, src, 0, 40, 1);
        const qb = q.bytes();
        assert.ok([0x7e00, 0x7c00].includes((qb[0] | (qb[1] << 8)) & 0x7fff), `scale bits ${qb[0] | (qb[1] << 8)}`);
        assert.ok(qb.subarray(2, 34).every((b) => b === 0));
        // the short second block (values 32..39, all 0.5) is untouched by the first's bad value
        assert.equal(qb[34] | (qb[35] << 8), f32ToF16(Math.fround(0.5 / 127)));
        assert.ok(qb.subarray(36, 44).every((b) => b === 127));
        const back = rt.tensor("f32", [1, 40]);
        readKVRows(back, h, "f16", 40, 1);
        assert.ok(Object.is(back.f32()[3], bad) || (Number.isNaN(bad) && Number.isNaN(back.f32()[3])));
        for (const z of [src, q, h, back]) z.dispose();
      }
    });

    for (const type of QTYPES) {
      it(`attn_decode_${type} matches the reference on 200 random shapes, at offsets`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(type === "f16" ? 42 : 43);
        for (let t = 0; t < 200; t++) {
          const d = headDim(rng, t), nKv = t < 12 ? t % 6 : rng.int(1, t % 9 === 0 ? 300 : 90), nGroup = rng.int(1, 5);
          const peak = rng.next() < 0.3 ? 4 : 1, scale = 1 / Math.sqrt(d), gd = nGroup * d;
          const cap = nKv + rng.int(0, 3), kRow = rng.int(0, 3), vRow = rng.int(0, 2);
          const qOffset = rng.int(0, 2) * gd, outOffset = rng.int(0, 7);
          const q = rng.array(qOffset + gd + 3, peak);
          const k = rowsOf(rt, type, rng.array((kRow + cap) * d), kRow + cap, d), v = rowsOf(rt, type, rng.array((vRow + cap) * d), vRow + cap, d);
          const out0 = rng.array(outOffset + gd + 2, 9);
          const tq = rt.fromArray(q), tout = rt.fromArray(out0), ts = rt.fromArray(rng.array(nGroup * nKv, 9));
          attnDecode(tout, tq, k.t, v.t, { nKv, headDim: d, nGroup, scale, scores: ts, qOffset, outOffset, kOffset: kRow * d, vOffset: vRow * d, type });
          const want = out0.slice(), wantS = new Float32Array(nGroup * nKv), rb = kvRowBytes(type, d);
          refkv.attn_decode_kv(type, q.subarray(qOffset), k.bytes.subarray(kRow * rb), v.bytes.subarray(vRow * rb), want.subarray(outOffset), wantS, nKv, d, nGroup, scale);
          const what = `${type} nKv=${nKv} headDim=${d} nGroup=${nGroup}`;
          assertClose(ts.f32(), wantS, W_ATOL, W_RTOL, `scores ${what}`);
          assertClose(tout.f32(), want, O_ATOL, O_RTOL, `out ${what}`);
          for (const x of [tq, k.t, v.t, tout, ts]) x.dispose();
        }
      });

      it(`attn_prefill_${type} matches the reference on 150 random chunks, row ranges and window sums`, async () => {
        const rt = await runtimeFor(build);
        const rng = new Rng(type === "f16" ? 44 : 45);
        for (let t = 0; t < 150; t++) {
          const d = headDim(rng, t), nKv = rng.int(1, 80), nGroup = rng.int(1, 4), scale = 1 / Math.sqrt(d);
          const m = rng.int(0, Math.min(nKv, 24)), nKvHeads = rng.int(1, 3), kvHead = rng.int(0, nKvHeads - 1);
          const qStride = nKvHeads * nGroup * d, qOffset = kvHead * nGroup * d;
          const i0 = rng.int(0, m), i1 = rng.int(i0, m);
          const q = rng.array(m * qStride, rng.next() < 0.3 ? 4 : 1);
          const k = rowsOf(rt, type, rng.array(nKv * d), nKv, d), v = rowsOf(rt, type, rng.array(nKv * d), nKv, d);
          const out0 = rng.array(m * qStride, 9);
          const withAcc = t % 2 === 0, accFrom = rng.int(0, m), accStride = nKv + rng.int(0, 3);
          const acc0 = rng.array(nGroup * accStride);
          const tq = rt.fromArray(q), tout = rt.fromArray(out0), ts = rt.zeros([attnPrefillScoresFloats(type, nKv)]), ta = rt.fromArray(acc0);
          attnPrefill(tout, tq, k.t, v.t, { m, nKv, headDim: d, nGroup, qStride, scale, scores: ts, qOffset, i0, i1, type, ...(withAcc ? { acc: ta, accFrom, accStride } : {}) });
          const want = out0.slice(), wantAcc = acc0.slice();
          refkv.attn_prefill_kv(type, q.subarray(qOffset), k.bytes, v.bytes, want.subarray(qOffset), new Float32Array(nKv),
            m, nKv, d, nGroup, qStride, scale, i0, i1, withAcc ? wantAcc : undefined, accFrom, accStride);
          const what = `${type} m=${m} nKv=${nKv} headDim=${d} nGroup=${nGroup} rows [${i0}, ${i1})`;
          assertClose(tout.f32(), want, O_ATOL, O_RTOL, `out ${what}`);
          assertClose(ta.f32(), wantAcc, 1e-6, 1e-5, `acc ${what}`);
          for (const x of [tq, k.t, v.t, tout, ts, ta]) x.dispose();
        }
      });
    }

    it("attention over q8_0 and f16 rows stays near the f32 attention (the rounding, not a bug, is the difference)", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(46);
      for (const type of QTYPES) {
        for (const d of [8, 64, 48]) {
          const nKv = 200, nGroup = 3, scale = 1 / Math.sqrt(d);
          const q = rng.array(nGroup * d, 2), kf = rng.array(nKv * d), vf = rng.array(nKv * d);
          const k = rowsOf(rt, type, kf, nKv, d), v = rowsOf(rt, type, vf, nKv, d);
          const tq = rt.fromArray(q), tout = rt.zeros([nGroup * d]), ts = rt.zeros([nGroup * nKv]);
          attnDecode(tout, tq, k.t, v.t, { nKv, headDim: d, nGroup, scale, scores: ts, type });
          const want = new Float32Array(nGroup * d);
          ref.attn_decode_f32(q, kf, vf, want, new Float32Array(nGroup * nKv), nKv, d, nGroup, scale);
          assertClose(tout.f32(), want, type === "f16" ? 2e-3 : 2e-2, 0, `${type} d=${d} vs f32`);
          for (const x of [tq, k.t, v.t, tout, ts]) x.dispose();
        }
      }
    });

    it("head_dim 8 q8_0 (one short block a row: the specialised decode over the whole group and prefill loops) matches the reference; a NaN row stays NaN", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(47), d = 8;
      for (const nKv of [0, 1, 2, 3, 4, 5, 7, 8, 13, 64, 67, 2048]) {
        for (const nGroup of [1, 2, 3, 4]) {
          const scale = 1 / Math.sqrt(d), gd = nGroup * d;
          const q = rng.array(gd, 3), kf = rng.array(nKv * d), vf = rng.array(nKv * d);
          const nan = nKv > 5 && nGroup === 3 ? rng.int(0, nKv - 1) : -1;   // a NaN in a key (odd nKv) or value row
          if (nan >= 0) (nKv % 2 ? kf : vf)[nan * d + rng.int(0, d - 1)] = NaN;
          const k = rowsOf(rt, "q8_0", kf, nKv, d), v = rowsOf(rt, "q8_0", vf, nKv, d);
          const out0 = rng.array(gd, 9), tq = rt.fromArray(q), tout = rt.fromArray(out0), ts = rt.zeros([Math.max(1, nGroup * nKv)]);
          attnDecode(tout, tq, k.t, v.t, { nKv, headDim: d, nGroup, scale, scores: ts, type: "q8_0" });
          const want = out0.slice(), wantS = new Float32Array(nGroup * nKv);
          refkv.attn_decode_kv("q8_0", q, k.bytes, v.bytes, want, wantS, nKv, d, nGroup, scale);
          const what = `nKv=${nKv} nGroup=${nGroup}${nan >= 0 ? ` NaN in ${nKv % 2 ? "key" : "value"} row ${nan}` : ""}`;
          if (nan >= 0) {
            assert.ok([...tout.f32()].every(Number.isNaN), `decode ${what}: outputs ${[...tout.f32()].slice(0, 4)}`);
            if (nKv % 2) assert.ok([...ts.f32().subarray(0, nGroup * nKv)].every(Number.isNaN), `decode ${what}: weights`);
          } else {
            assertClose(ts.f32().subarray(0, nGroup * nKv), wantS, W_ATOL, W_RTOL, `decode scores ${what}`);
            assertClose(tout.f32(), want, O_ATOL, O_RTOL, `decode out ${what}`);
          }
          // prefill: the last m rows as a causal chunk, every query row
          const m = Math.min(nKv, 9);
          if (nan < 0 && m > 0) {
            const qp = rng.array(m * gd, 3), tqp = rt.fromArray(qp), top = rt.zeros([m * gd]), tsp = rt.zeros([nKv]);
            attnPrefill(top, tqp, k.t, v.t, { m, nKv, headDim: d, nGroup, qStride: gd, scale, scores: tsp, type: "q8_0" });
            const wantP = new Float32Array(m * gd);
            refkv.attn_prefill_kv("q8_0", qp, k.bytes, v.bytes, wantP, new Float32Array(nKv), m, nKv, d, nGroup, gd, scale, 0, m);
            assertClose(top.f32(), wantP, O_ATOL, O_RTOL, `prefill out ${what} m=${m}`);
            for (const x of [tqp, top, tsp]) x.dispose();
          }
          for (const x of [tq, k.t, v.t, tout, ts]) x.dispose();
        }
      }
    });

    it("a NaN or infinite key block makes the q8_0 and f16 softmax rows and outputs NaN (decode and prefill, in a 4-row step or a tail row); an empty cache gives 0", async () => {
      const rt = await runtimeFor(build);
      for (const type of QTYPES) {
        // f16 keeps an infinity as a value (a -inf key gets weight 0, as an f32 row's would): NaN cases only
        const cases = [[40, 4 * 40 + 35, NaN], [64, 5 * 64 + 40, NaN], [64, 8 * 64 + 3, Infinity], [8, 2 * 8 + 3, -Infinity], [8, 8 * 8 + 1, NaN]];
        for (const [d, at, bad] of cases.filter(([, , x]) => type === "q8_0" || Number.isNaN(x))) {
          const nKv = 9, nGroup = 2, what = `${type} d=${d} ${bad} at row ${Math.floor(at / d)}`;
          const kf = new Float32Array(nKv * d).fill(0.25);
          kf[at] = bad;
          const k = rowsOf(rt, type, kf, nKv, d), v = rowsOf(rt, type, new Float32Array(nKv * d).fill(0.5), nKv, d);
          const tq = rt.fromArray(new Float32Array(nGroup * d).fill(1)), tout = rt.zeros([nGroup * d]), ts = rt.zeros([nGroup * nKv]);
          attnDecode(tout, tq, k.t, v.t, { nKv, headDim: d, nGroup, scale: 0.1, scores: ts, type });
          assert.ok([...tout.f32()].every(Number.isNaN), `decode ${what}: outputs ${[...tout.f32()].slice(0, 4)}`);
          assert.ok([...ts.f32()].every(Number.isNaN), `decode ${what}: weights ${[...ts.f32()].slice(0, 4)}`);
          // prefill: the last query row sees every key
          const tsp = rt.zeros([attnPrefillScoresFloats(type, nKv)]);
          attnPrefill(tout, tq, k.t, v.t, { m: 1, nKv, headDim: d, nGroup, qStride: nGroup * d, scale: 0.1, scores: tsp, type });
          assert.ok([...tout.f32()].every(Number.isNaN), `prefill ${what}: outputs ${[...tout.f32()].slice(0, 4)}`);
          attnDecode(tout, tq, k.t, v.t, { nKv: 0, headDim: d, nGroup, scale: 0.1, scores: ts, type });
          assert.ok([...tout.f32()].every((x) => x === 0));
          for (const x of [tq, k.t, v.t, tout, ts, tsp]) x.dispose();
        }
      }
    });

    it("q8_0 scores take the query as i16 exactly as the reference rounds it (one-hot keys: score_c = qi_c * sq * scale)", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(48);
      for (const d of [8, 64, 40, 7, 33]) {
        // key row c: quant 1 at value c, every scale f16(1) = 0x3c00, so score_c = f32(qi_c) * f with f = sq * scale
        const rb = kvRowBytes("q8_0", d), kb = new Uint8Array(d * rb);
        for (let c = 0; c < d; c++) {
          for (let b = 0; b * 32 < d; b++) kb[c * rb + b * 34 + 1] = 0x3c;
          kb[c * rb + (c >> 5) * 34 + 2 + (c & 31)] = 1;
        }
        const k = rt.tensor("u8", [kb.length]).write(kb), v = rowsOf(rt, "q8_0", rng.array(d * d), d, d);
        const queries = [
          rng.array(d, 3),
          rng.array(d, 3e-38),    // subnormal values (and a subnormal sq)
          Float32Array.from({ length: d }, (_, c) => c === 0 ? 32767 : (c % 5) - 2 + 0.5 * (c % 2)),   // amax 32767: halfway cases
        ];
        for (const q of queries) {
          const { qi, sq } = refkv.quantizeQueryI16(q, 0, d);
          const scale = Math.fround(1e-4 / sq), f = Math.fround(sq * scale);   // scores within +-3.3
          const tq = rt.fromArray(q), tout = rt.zeros([d]), ts = rt.zeros([d]);
          attnDecode(tout, tq, k, v.t, { nKv: d, headDim: d, nGroup: 1, scale, scores: ts, type: "q8_0" });
          // the weights softmax(qi_c * f): one qi_c off by one moves them by ~1e-4 relative
          const e = Array.from(qi, (x) => Math.exp(Math.fround(x * f))), sum = e.reduce((x, y) => x + y, 0);
          assertClose(ts.f32(), e.map((x) => x / sum), 0, 5e-6, `d=${d} amax=${Math.max(...q.map(Math.abs))}`);
          for (const x of [tq, tout, ts]) x.dispose();
        }
        for (const x of [k, v.t]) x.dispose();
      }
    });

    it("a NaN or infinity in the query makes its q8_0 head's weights and output NaN; a zero query weighs every row alike", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(49);
      for (const d of [8, 64, 40]) {
        const nKv = 11, nGroup = 2, gd = nGroup * d;
        const k = rowsOf(rt, "q8_0", rng.array(nKv * d), nKv, d), vf = rng.array(nKv * d), v = rowsOf(rt, "q8_0", vf, nKv, d);
        for (const bad of [NaN, Infinity, -Infinity]) {
          const q = rng.array(gd);
          q[d + 3] = bad;                                      // head 1 only
          const tq = rt.fromArray(q), tout = rt.zeros([gd]), ts = rt.zeros([nGroup * nKv]);
          attnDecode(tout, tq, k.t, v.t, { nKv, headDim: d, nGroup, scale: 0.3, scores: ts, type: "q8_0" });
          const o = tout.f32(), w = ts.f32();
          assert.ok(o.subarray(0, d).every(Number.isFinite) && w.subarray(0, nKv).every(Number.isFinite), `d=${d} ${bad}: head 0 stays finite`);
          assert.ok(o.subarray(d).every(Number.isNaN) && w.subarray(nKv).every(Number.isNaN), `d=${d} ${bad}: head 1 NaN`);
          const tsp = rt.zeros([nKv]);
          attnPrefill(tout, tq, k.t, v.t, { m: 1, nKv, headDim: d, nGroup, qStride: gd, scale: 0.3, scores: tsp, type: "q8_0" });
          assert.ok(tout.f32().subarray(0, d).every(Number.isFinite) && tout.f32().subarray(d).every(Number.isNaN), `prefill d=${d} ${bad}`);
          for (const x of [tq, tout, ts, tsp]) x.dispose();
        }
        const tq = rt.zeros([gd]), tout = rt.zeros([gd]), ts = rt.zeros([nGroup * nKv]);
        attnDecode(tout, tq, k.t, v.t, { nKv, headDim: d, nGroup, scale: 0.3, scores: ts, type: "q8_0" });
        assertClose(ts.f32(), new Float32Array(nGroup * nKv).fill(1 / nKv), 1e-7, 1e-6, `d=${d} zero query: weights`);
        const want = new Float32Array(gd), back = new Float32Array(nKv * d);
        refkv.kv_dequantize_rows("q8_0", v.bytes, back, d, nKv);
        for (let g = 0; g < nGroup; g++) for (let c = 0; c < d; c++) for (let j = 0; j < nKv; j++) want[g * d + c] += back[j * d + c] / nKv;
        assertClose(tout.f32(), want, 1e-6, 1e-5, `d=${d} zero query: out is the mean value row`);
        for (const x of [tq, tout, ts, k.t, v.t]) x.dispose();
      }
    });
  });
}

describe("quantized KV blocks in the store", () => {
  it("appends and prunes q8_0 and f16 rows as stored (no requantizing), bytes from the allocator", async () => {
    const rt = await runtimeFor("simd");
    const rng = new Rng(47);
    const [L, H, D] = [2, 2, 40];
    for (const type of ["f16", "q8_0"] as const) {
      const kv = new KVStore(rt, L, H, D, { capacity: 4, headroom: 2, type }), f32 = new KVStore(rt, L, H, D, { capacity: 4, headroom: 2, type: "f32" });
      const rows: Float32Array[] = [];
      for (let step = 0; step < 5; step++) {
        const m = rng.int(1, 4);
        const k = rt.fromArray(rng.array(m * H * D), [m, H * D]), v = rt.fromArray(rng.array(m * H * D), [m, H * D]);
        rows.push(k.toFloat32Array());
        for (let l = 0; l < L; l++) { kv.append(l, k, v, m, kv.seen); f32.append(l, k, v, m, f32.seen); }
        k.dispose(); v.dispose();
      }
      const n = kv.seen, rb = kvRowBytes(type, D);
      assert.equal(kv.rowBytes, rb);
      // head 1's key rows are the appended rows' columns D..2D, rounded once; q8_0 keys minus mu,
      // the mean of head 1's keys in the first append
      const flat = Float32Array.from(rows.flatMap((a) => [...a]));
      const mu = type === "q8_0" ? new Float32Array(D).map((_, c) => rows[0].reduce((a, _x, i) => (i % (H * D) === D + c ? a + rows[0][i] : a), 0) / (rows[0].length / (H * D))) : undefined;
      const want = new Uint8Array(n * rb);
      refkv.kv_quantize_rows(type, flat.subarray(D), H * D, want, D, n, mu);
      assert.deepEqual(kv.layers[1][1].k.bytes().subarray(0, n * rb), want);
      assert.deepEqual(kv.keyMeans()?.subarray((1 * H + 1) * D, (1 * H + 2) * D), mu);
      const deq = new Float32Array(n * D);
      refkv.kv_dequantize_rows(type, want, deq, D, n);
      if (mu) deq.forEach((x, i) => { deq[i] = Math.fround(x + mu[i % D]); });
      assert.deepEqual(kv.rowsF32(1, 1, "k"), deq);
      assert.ok(kv.bytes() < f32.bytes() * (type === "f16" ? 0.6 : 0.4), `${type} ${kv.bytes()} vs f32 ${f32.bytes()} bytes`);
      // prune: the kept rows' bytes move unchanged
      const keep = Int32Array.from([1, 3, n - 1]);
      const heapBefore = rt.heap.stats.bytesInUse;
      const released = kv.keep(1, keep);
      assert.equal(heapBefore - rt.heap.stats.bytesInUse, released, "the heap got the bytes back");
      const got = kv.layers[1][1].k.bytes();
      keep.forEach((r, i) => assert.deepEqual(got.subarray(i * rb, (i + 1) * rb), want.subarray(r * rb, (r + 1) * rb), `row ${r}`));
      // growth past the block keeps every row
      const k1 = rt.fromArray(rng.array(H * D), [1, H * D]);
      for (let g = 0; g < 20; g++) kv.append(0, k1, k1, 1, n + g);
      assert.deepEqual(kv.layers[0][1].k.bytes().subarray(0, n * rb), (() => { const w = new Uint8Array(n * rb); refkv.kv_quantize_rows(type, flat.subarray(D), H * D, w, D, n, mu); return w; })());
      k1.dispose();
      kv.dispose(); f32.dispose();
    }
    assert.equal(rt.heap.stats.bytesInUse, 0);
  });

  it("q8_0 key centering: the store's keys minus the first append's mean give the f32 attention, closer than uncentered rows", async () => {
    // keys with a large shared part (as stories260K's slowest RoPE pair): softmax ignores q . mu,
    // and the rows quantized without it keep far more of the rest
    const rt = await runtimeFor("simd");
    const rng = new Rng(48);
    for (const d of [8, 64]) {
      const n = 300, nGroup = 2, scale = 1 / Math.sqrt(d), offset = rng.array(d, 20);
      const kf = rng.array(n * d), vf = rng.array(n * d), q = rng.array(nGroup * d, 2);
      for (let i = 0; i < n * d; i++) kf[i] += offset[i % d];
      const kv = new KVStore(rt, 1, 1, d, { capacity: n, type: "q8_0" });
      const tk = rt.fromArray(kf, [n, d]), tv = rt.fromArray(vf, [n, d]);
      kv.append(0, tk, tv, 200, 0);        // the first append sets mu; the next rows use it too
      const tk2 = rt.fromArray(kf.subarray(200 * d), [n - 200, d]), tv2 = rt.fromArray(vf.subarray(200 * d), [n - 200, d]);
      kv.append(0, tk2, tv2, n - 200, 200);
      const b = kv.layers[0][0], tq = rt.fromArray(q), tout = rt.zeros([nGroup * d]), ts = rt.zeros([nGroup * n]);
      attnDecode(tout, tq, b.k, b.v, { nKv: n, headDim: d, nGroup, scale, scores: ts, type: "q8_0" });
      const exact = new Float32Array(nGroup * d), plain = new Float32Array(nGroup * d);
      ref.attn_decode_f32(q, kf, vf, exact, new Float32Array(nGroup * n), n, d, nGroup, scale);
      const rb = kvRowBytes("q8_0", d), kb = new Uint8Array(n * rb), vb = new Uint8Array(n * rb);
      refkv.kv_quantize_rows("q8_0", kf, d, kb, d, n);
      refkv.kv_quantize_rows("q8_0", vf, d, vb, d, n);
      refkv.attn_decode_kv("q8_0", q, kb, vb, plain, new Float32Array(nGroup * n), n, d, nGroup, scale);
      const err = (a: Float32Array) => Math.max(...a.map((x, i) => Math.abs(x - exact[i])));
      const centered = err(tout.f32()), uncentered = err(plain);
      assert.ok(centered < uncentered / 2, `d=${d}: centered error ${centered} vs uncentered ${uncentered}`);
      assert.ok(centered < 2e-2, `d=${d}: centered error ${centered}`);
      // the keys read back for the policies are the keys, mean included
      assertClose(kv.rowsF32(0, 0, "k"), kf, 0.1, 0, `d=${d} keys read back`);
      for (const x of [tk, tv, tk2, tv2, tq, tout, ts]) x.dispose();
      kv.dispose();
    }
    assert.equal(rt.heap.stats.bytesInUse, 0);
  });

  it("key means: only q8_0 stores keep them, set at the first append or by setKeyMeans (restore), checked", async () => {
    const rt = await runtimeFor("simd");
    const f = new KVStore(rt, 2, 1, 8, { capacity: 4, type: "f16" });
    assert.equal(f.keyMeans(), undefined);
    assert.throws(() => f.setKeyMeans(undefined), /a f16 store keeps no key means/);
    f.dispose();
    const kv = new KVStore(rt, 2, 1, 8, { capacity: 4, type: "q8_0" });
    assert.equal(kv.keyMeans(), undefined, "nothing appended yet");
    assert.throws(() => kv.setKeyMeans([1, 2]), /2 values for 16/);
    assert.throws(() => kv.setKeyMeans(new Float32Array(16).fill(NaN)), /value 0 is NaN, not finite/);
    const mu = Float32Array.from({ length: 16 }, (_, i) => i);
    kv.setKeyMeans(mu);
    const x = rt.fromArray(new Float32Array(8).fill(3), [1, 8]);
    kv.append(1, x, x, 1, 0);    // keeps the restored means: no new mean from this append
    assert.deepEqual(kv.keyMeans(), mu);
    const want = new Uint8Array(10);
    refkv.kv_quantize_rows("q8_0", new Float32Array(8).fill(3), 8, want, 8, 1, mu.subarray(8));
    assert.deepEqual(kv.layers[1][0].k.bytes().subarray(0, 10), want);
    // a NaN in the first keys gives a mean of 0 in that channel
    const nk = new KVStore(rt, 1, 1, 8, { capacity: 4, type: "q8_0" });
    const bad = rt.fromArray(Float32Array.from({ length: 16 }, (_, i) => (i === 9 ? NaN : 1)), [2, 8]);
    nk.append(0, bad, bad, 2, 0);
    assert.deepEqual(Array.from(nk.keyMeans()!), [1, 0, 1, 1, 1, 1, 1, 1]);
    for (const z of [x, bad]) z.dispose();
    kv.dispose(); nk.dispose();
    assert.equal(rt.heap.stats.bytesInUse, 0);
  });

  it("a q8_0 snapshot carries the key means; bad ones are one clear error", () => {
    const model = { name: "m", arch: "llama", dim: 8, nLayers: 1, nHeads: 1, nKvHeads: 1, headDim: 8, vocabSize: 4, weights: "0" };
    const mu = Float32Array.from([0.5, -1, 2, 3, 4, 5, 6, 7.25].map(Math.fround));
    const header = { model, kvType: "q8_0" as KVType, seen: 0, tokens: [], session: {}, keyMeans: encodeKeyMeans(mu) };
    assert.deepEqual(decodeSnapshot(encodeSnapshot(header, undefined), model).keyMeans, mu);
    for (const km of [encodeKeyMeans(mu.subarray(0, 2)), "not base64!", encodeKeyMeans(new Float32Array(8).fill(Infinity))]) {
      assert.throws(() => decodeSnapshot(encodeSnapshot({ ...header, keyMeans: km }, undefined), model), /keyMeans is not one finite f32 per layer, KV head and channel/);
    }
    assert.throws(() => decodeSnapshot(encodeSnapshot({ ...header, kvType: "f16" }, undefined), model), /keyMeans is not/);
    assert.equal(decodeSnapshot(encodeSnapshot({ ...header, keyMeans: undefined }, undefined), model).header.keyMeans, undefined);
  });

  it("a KV type the library cannot hold is one clear error", () => {
    assert.equal(checkKVType(undefined), "f32");
    for (const t of ["q4_0", "F16", "", 8, null]) assert.throws(() => checkKVType(t), /invalid KV option type = .*expected f32, f16, q8_0/);
    for (const t of ["f32", "f16", "q8_0"] as KVType[]) assert.equal(checkKVType(t, 8), t);
  });

  it("the attention wrappers refuse blocks of the wrong type or size", async () => {
    const rt = await runtimeFor("simd");
    const q = rt.zeros([8]), out = rt.zeros([8]), s = rt.zeros([4]), f = rt.zeros([4, 8]), b = rt.tensor("u8", [4, 10]);
    assert.throws(() => attnDecode(out, q, f, f, { nKv: 4, headDim: 8, nGroup: 1, scale: 1, scores: s, type: "q8_0" }), /k is f32, expected u8/);
    assert.throws(() => attnDecode(out, q, b, b, { nKv: 5, headDim: 8, nGroup: 1, scale: 1, scores: rt.zeros([5]), type: "q8_0" }), /q8_0 rows \[0, 5\)/);
    assert.throws(() => attnDecode(out, q, b, b, { nKv: 4, headDim: 8, nGroup: 1, scale: 1, scores: s, type: "q4_0" as KVType }), /KV type "q4_0"/);
    assert.throws(() => attnDecode(out, q, b, b, { nKv: 2, headDim: 8, nGroup: 1, scale: 1, scores: s, type: "f16", kOffset: 3 }), /whole number of f16 rows/);
    for (const x of [q, out, s, f, b]) x.dispose();
  });
});
