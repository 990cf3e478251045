// Q8_0 KV with a residual window (the newest rows per KV head kept exact, kv/store.ts): the
// attention kernels over a Q8_0 segment plus an f32 window (assembly/attnres.ts) against their
// reference on random shapes and edge cases (empty segments, NaN rows), decode split over a pool
// with the same bits, and the store's appends, prunes and bytes against a model of which rows
// are exact.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { assertClose } from "./helpers/close.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import { randomKVRows } from "./helpers/kv-rows.ts";
import * as refres from "../src/ref/attnres.ts";
import * as refkv from "../src/ref/kvrows.ts";
import { attnDecode, attnDecodeHeads, attnPrefill, type AttnDecodeHeadsOptions, type AttnPrefillOptions, type KVBlock } from "../src/wasm/ops/attention.ts";
import { ATTN_SPLIT_MIN_WORK, POOL_KERNELS, splitAttnDecode, splitAttnPrefill } from "../src/wasm/ops/parallel.ts";
import { ThreadPool } from "../src/wasm/threads.ts";
import { canShareMemory, createRuntime, type Runtime } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";
import { KVStore } from "../src/kv/store.ts";
import { KVController } from "../src/kv/controller.ts";
import { withKVTypes } from "../src/cli/eval.ts";
import { kvRowBytes, type KVType } from "../src/kv/kv-type.ts";
import { f16ToF32, f32ToF16 } from "../src/quant/half.ts";
import { decodeSnapshot, encodeKeyMeans, encodeSnapshot } from "../src/kv/snapshot.ts";
import { crc32 } from "../src/util/crc32.ts";
import { LLM } from "../src/llm.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

// tolerances against the reference (f64 sums): as tests/kv-quant.test.ts
const W_ATOL = 1e-8, W_RTOL = 2e-5;
const O_ATOL = 3e-6, O_RTOL = 2e-5;

function headDim(rng: Rng, t: number): number {
  const special = [8, 32, 64, 1, 3, 33, 40, 8, 31, 7];
  return t < special.length ? special[t] : rng.int(1, 80);
}

// a window buffer of cap f16 rows (a u8 tensor (cap, 2d)) whose rows [w0, w0 + nw) are the window
function windowOf(rt: Runtime, rng: Rng, cap: number, d: number, peak = 1): Tensor {
  return randomKVRows(rt, rng, "f16", Math.max(1, cap), d, peak);
}

for (const build of WASM_BUILDS) {
  describe(`q8_0 attention with a residual window (${build})`, { skip: skipReason(build) }, () => {
    it("attnPrefill over Q8_0 rows then window rows matches the reference (chunks across the boundary, row ranges, window sums)", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(71);
      for (let t = 0; t < 160; t++) {
        const d = headDim(rng, t), nq = t % 10 === 0 ? 0 : rng.int(0, 90), nw = t % 10 === 1 ? 0 : rng.int(1, 32);
        const nKv = nq + nw;
        if (nKv === 0) continue;
        const nGroup = rng.int(1, 4), scale = 1 / Math.sqrt(d);
        const m = rng.int(0, Math.min(nKv, 40)), nKvHeads = rng.int(1, 3), kvHead = rng.int(0, nKvHeads - 1);
        const qStride = nKvHeads * nGroup * d, qOffset = kvHead * nGroup * d;
        const i0 = rng.int(0, m), i1 = rng.int(i0, m);
        const q = rng.array(m * qStride, rng.next() < 0.3 ? 4 : 1);
        const k = randomKVRows(rt, rng, "q8_0", Math.max(1, nq), d), v = randomKVRows(rt, rng, "q8_0", Math.max(1, nq), d);
        const w0 = rng.int(0, 8), wk = windowOf(rt, rng, w0 + nw + 2, d), wv = windowOf(rt, rng, w0 + nw + 2, d);
        const out0 = rng.array(m * qStride, 9);
        const withAcc = t % 2 === 0, accFrom = rng.int(0, m), accStride = nKv + rng.int(0, 3);
        const acc0 = rng.array(nGroup * accStride);
        const tq = rt.fromArray(q), tout = rt.fromArray(out0), ts = rt.zeros([nKv]), ta = rt.fromArray(acc0);
        attnPrefill(tout, tq, k, v, { m, nKv, headDim: d, nGroup, qStride, scale, scores: ts, qOffset, i0, i1, type: "q8_0",
          residual: { nw, w0, wk, wv }, ...(withAcc ? { acc: ta, accFrom, accStride } : {}) });
        const want = out0.slice(), wantAcc = acc0.slice();
        const wkr = wk.bytes().slice(w0 * 2 * d), wvr = wv.bytes().slice(w0 * 2 * d);
        if (nw > 0) {
          refres.attn_prefill_q8_0_res(q.subarray(qOffset), k.bytes(), v.bytes(), wkr, wvr, want.subarray(qOffset), new Float32Array(nKv),
            m, nq, nw, d, nGroup, qStride, scale, i0, i1, withAcc ? wantAcc : undefined, accFrom, accStride);
        } else {
          refkv.attn_prefill_kv("q8_0", q.subarray(qOffset), k.bytes(), v.bytes(), want.subarray(qOffset), new Float32Array(nKv),
            m, nKv, d, nGroup, qStride, scale, i0, i1, withAcc ? wantAcc : undefined, accFrom, accStride);
        }
        const what = `m=${m} nq=${nq} nw=${nw} headDim=${d} nGroup=${nGroup} rows [${i0}, ${i1})`;
        assertClose(tout.f32(), want, O_ATOL, O_RTOL, `out ${what}`);
        assertClose(ta.f32(), wantAcc, 1e-6, 1e-5, `acc ${what}`);
        for (const x of [tq, k, v, wk, wv, tout, ts, ta]) x.dispose();
      }
    });

    it("attnDecodeHeads over Q8_0 rows then window rows matches the reference per KV head (empty segments, head_dim 8)", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(72);
      for (let t = 0; t < 60; t++) {
        const d = headDim(rng, t), nGroup = rng.int(1, 4), nKvHeads = rng.int(1, 4), scale = 1 / Math.sqrt(d);
        const blocks: KVBlock[] = [];
        for (let h = 0; h < nKvHeads; h++) {
          const nq = [0, 1, 5, 64, 65, 130][rng.int(0, 5)], nw = h === 0 ? rng.int(1, 32) : rng.int(0, 32), w0 = rng.int(0, 6);
          blocks.push({ k: randomKVRows(rt, rng, "q8_0", nq + 2, d), v: randomKVRows(rt, rng, "q8_0", nq + 2, d), n: nq + nw, nw, w0,
            wk: windowOf(rt, rng, w0 + nw + 1, d, 2), wv: windowOf(rt, rng, w0 + nw + 1, d) });
        }
        const ctx = Math.max(1, ...blocks.map((b) => b.n)), nHeads = nKvHeads * nGroup;
        const q = rng.array(nHeads * d, rng.next() < 0.3 ? 4 : 1);
        const tq = rt.fromArray(q), out = rt.tensor("f32", [nHeads, d]), scores = rt.tensor("f32", [nKvHeads, nGroup, ctx]);
        const table = rt.tensor("i32", [nKvHeads, 6]);
        attnDecodeHeads(out, tq, blocks, { headDim: d, nGroup, scale, scores, scoreStride: ctx, table, type: "q8_0" });
        blocks.forEach((b, h) => {
          const nw = b.nw!, nq = b.n - nw, gd = nGroup * d;
          const want = new Float32Array(gd), wantS = new Float32Array(nGroup * b.n);
          refres.attn_decode_q8_0_res(q.subarray(h * gd), b.k.bytes(), b.v.bytes(), nq, b.wk!.bytes().slice(b.w0! * 2 * d), b.wv!.bytes().slice(b.w0! * 2 * d), nw,
            want, wantS, d, nGroup, scale);
          const what = `head ${h} nq=${nq} nw=${nw} headDim=${d} nGroup=${nGroup}`;
          assertClose(scores.f32().subarray(h * nGroup * ctx, h * nGroup * ctx + nGroup * b.n), wantS, W_ATOL, W_RTOL, `scores ${what}`);
          assertClose(out.f32().subarray(h * gd, (h + 1) * gd), want, O_ATOL, O_RTOL, `out ${what}`);
          // attnDecode (one KV head) with the same window: the same kernel, the same bits
          const o1 = rt.tensor("f32", [nHeads, d]), s1 = rt.tensor("f32", [nGroup, ctx]);
          attnDecode(o1, tq, b.k, b.v, { nKv: b.n, headDim: d, nGroup, scale, scores: s1, qOffset: h * gd, outOffset: h * gd, type: "q8_0", residual: { nw, w0: b.w0!, wk: b.wk, wv: b.wv } });
          if (nw > 0) {
            assert.deepEqual(o1.f32().subarray(h * gd, (h + 1) * gd), out.f32().subarray(h * gd, (h + 1) * gd), `attnDecode ${what}`);
            assert.deepEqual(s1.f32().subarray(0, nGroup * b.n), scores.f32().subarray(h * nGroup * ctx, h * nGroup * ctx + nGroup * b.n), `attnDecode weights ${what}`);
          }
          o1.dispose(); s1.dispose();
        });
        for (const x of [tq, out, scores, table]) x.dispose();
        for (const b of blocks) for (const x of [b.k, b.v, b.wk!, b.wv!]) x.dispose();
      }
    });

    it("a NaN in a window key or a non-finite Q8_0 block makes the head's weights and output NaN; an empty head gives 0", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(73);
      for (const d of [8, 40]) {
        for (const where of ["window", "q8"] as const) {
          const nq = 9, nw = 5, nGroup = 2;
          const kf = rng.array(nq * d);
          if (where === "q8") kf[3 * d + 1] = Infinity;
          const kt = rt.fromArray(kf), k = rt.tensor("u8", [nq, kvRowBytes("q8_0", d)]), v = randomKVRows(rt, rng, "q8_0", nq, d);
          const kbytes = new Uint8Array(nq * kvRowBytes("q8_0", d));
          refkv.kv_quantize_rows("q8_0", kf, d, kbytes, d, nq);
          k.write(kbytes);
          const wk = windowOf(rt, rng, nw, d), wv = windowOf(rt, rng, nw, d);
          if (where === "window") wk.bytes().set([0x00, 0x7e], 2 * 2 * d);   // an f16 NaN
          const q = rt.fromArray(rng.array(nGroup * d)), out = rt.tensor("f32", [nGroup, d]), s = rt.tensor("f32", [nGroup, nq + nw]);
          const table = rt.tensor("i32", [1, 6]);
          attnDecodeHeads(out, q, [{ k, v, n: nq + nw, nw, w0: 0, wk, wv }], { headDim: d, nGroup, scale: 0.3, scores: s, scoreStride: nq + nw, table, type: "q8_0" });
          assert.ok(out.f32().every(Number.isNaN), `decode out, NaN in the ${where} rows, d ${d}`);
          assert.ok(s.f32().every(Number.isNaN), `decode weights, NaN in the ${where} rows, d ${d}`);
          const po = rt.tensor("f32", [1, nGroup * d]);
          attnPrefill(po, q, k, v, { m: 1, nKv: nq + nw, headDim: d, nGroup, qStride: nGroup * d, scale: 0.3, scores: s, type: "q8_0", residual: { nw, w0: 0, wk, wv } });
          assert.ok(po.f32().every(Number.isNaN), `prefill out, NaN in the ${where} rows, d ${d}`);
          for (const x of [kt, k, v, wk, wv, q, out, s, table, po]) x.dispose();
        }
      }
      // a head with no rows at all next to one with only window rows
      const d = 8, wk = windowOf(rt, rng, 4, d), wv = windowOf(rt, rng, 4, d), e = rt.tensor("u8", [1, kvRowBytes("q8_0", d)]);
      const q = rt.fromArray(rng.array(2 * d)), out = rt.fromArray(new Float32Array(2 * d).fill(7)), s = rt.tensor("f32", [2, 4]), table = rt.tensor("i32", [2, 6]);
      attnDecodeHeads(out, q, [{ k: e, v: e, n: 0, nw: 0, w0: 0, wk, wv }, { k: e, v: e, n: 4, nw: 4, w0: 0, wk, wv }], { headDim: d, nGroup: 1, scale: 1, scores: s, scoreStride: 4, table, type: "q8_0" });
      assert.deepEqual([...out.f32().subarray(0, d)], new Array(d).fill(0));
      const want = new Float32Array(d), ws = new Float32Array(4);
      refres.attn_decode_q8_0_res(q.f32().slice(d), new Uint8Array(0), new Uint8Array(0), 0, wk.bytes().slice(), wv.bytes().slice(), 4, want, ws, d, 1, 1);
      assertClose(out.f32().subarray(d), want, O_ATOL, O_RTOL, "window-only head");
      for (const x of [wk, wv, e, q, out, s, table]) x.dispose();
    });

    it("the wrappers refuse a window on f32 rows, more window rows than nKv and a table too small for six entries a head", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(74), d = 8;
      const k = randomKVRows(rt, rng, "q8_0", 4, d), kf = randomKVRows(rt, rng, "f32", 4, d), wk = windowOf(rt, rng, 4, d);
      const q = rt.fromArray(rng.array(d)), out = rt.tensor("f32", [1, d]), s = rt.tensor("f32", [8]), table3 = rt.tensor("i32", [1, 3]);
      const base = { m: 1, headDim: d, nGroup: 1, qStride: d, scale: 1, scores: s };
      assert.throws(() => attnPrefill(out, q, kf, kf, { ...base, nKv: 4, type: "f32", residual: { nw: 2, w0: 0, wk, wv: wk } }), /residual window is for q8_0 rows, not f32/);
      assert.throws(() => attnPrefill(out, q, k, k, { ...base, nKv: 4, type: "q8_0", residual: { nw: 5, w0: 0, wk, wv: wk } }), /residual window of 5 rows but nKv = 4/);
      assert.throws(() => attnPrefill(out, q, k, k, { ...base, nKv: 6, type: "q8_0", residual: { nw: 3, w0: 2, wk, wv: wk } }), /residual wk needs f16 rows \[2, 5\) of 16 bytes, has 64 bytes/);
      const o: AttnDecodeHeadsOptions = { headDim: d, nGroup: 1, scale: 1, scores: s, scoreStride: 8, table: table3, type: "q8_0" };
      assert.throws(() => attnDecodeHeads(out, q, [{ k, v: k, n: 6, nw: 2, w0: 0, wk, wv: wk }], o), /table holds 3 entries, needs 6 per KV head = 6/);
      assert.throws(() => attnDecodeHeads(out, q, [{ k: kf, v: kf, n: 6, nw: 2, w0: 0, wk, wv: wk }], { ...o, type: "f32" }), /residual window, which is for q8_0 rows, not f32/);
      for (const x of [k, kf, wk, q, out, s, table3]) x.dispose();
    });
  });
}

describe("splitAttnDecode with residual windows", () => {
  for (const build of WASM_BUILDS) {
    const skip = skipReason(build) ?? (canShareMemory() ? false : "no shared memory here");
    it(`${build}: the same bits as one thread`, { skip }, async () => {
      const rt = await createRuntime({ build, shared: true });
      const pool = await ThreadPool.create(rt, 2, POOL_KERNELS);
      assert.ok(pool, "this runtime could not start a worker thread");
      const rng = new Rng(75), cuts = new Int32Array(3);
      try {
        for (const [d, nGroup, ns] of [[64, 3, [200, 130, 7]], [8, 2, [33, 1, 0, 90]], [33, 5, [17, 64, 65]]] as [number, number, number[]][]) {
          const blocks: KVBlock[] = ns.map((n) => {
            const nw = Math.min(n, rng.int(0, 16)), w0 = rng.int(0, 16);
            return { k: randomKVRows(rt, rng, "q8_0", n + 2, d), v: randomKVRows(rt, rng, "q8_0", n + 2, d), n, nw, w0, wk: windowOf(rt, rng, 32, d), wv: windowOf(rt, rng, 32, d) };
          });
          blocks[0].nw = Math.min(blocks[0].n, 5);
          const nHeads = ns.length * nGroup, ctx = Math.max(...ns);
          const q = rt.fromArray(rng.array(nHeads * d)), table = rt.tensor("i32", [ns.length, 6]);
          const run = (f: (out: Tensor, o: AttnDecodeHeadsOptions) => void) => {
            const out = rt.tensor("f32", [nHeads, d]), scores = rt.zeros([ns.length, nGroup, ctx]);
            f(out, { headDim: d, nGroup, scale: 1 / Math.sqrt(d), scores, scoreStride: ctx, table, type: "q8_0" });
            const r = [out.toFloat32Array(), scores.toFloat32Array()];
            out.dispose(); scores.dispose();
            return r;
          };
          const one = run((out, o) => attnDecodeHeads(out, q, blocks, o));
          const split = run((out, o) => splitAttnDecode(pool!, out, q, blocks, o, cuts, 0));
          assert.deepEqual(split, one, `headDim ${d} nGroup ${nGroup} rows ${ns}`);
          q.dispose(); table.dispose();
          for (const b of blocks) for (const x of [b.k, b.v, b.wk!, b.wv!]) x.dispose();
        }
      } finally {
        pool!.dispose();
      }
    });
  }
});

describe("splitAttnPrefill with a residual window", () => {
  for (const build of WASM_BUILDS) {
    const skip = skipReason(build) ?? (canShareMemory() ? false : "no shared memory here");
    it(`${build}: the same bits as one thread, split or not`, { skip }, async () => {
      const rt = await createRuntime({ build, shared: true });
      const pool = await ThreadPool.create(rt, 2, POOL_KERNELS);
      assert.ok(pool, "this runtime could not start a worker thread");
      const r = new Rng(77), cuts = new Int32Array(3);
      try {
        for (const [m, nq, nw, d, nGroup] of [[200, 300, 16, 16, 4], [64, 48, 16, 64, 3], [129, 140, 3, 8, 2], [5, 2, 3, 8, 1], [300, 340, 16, 8, 2]]) {
          const qStride = nGroup * d, nKv = nq + nw;
          const q = rt.tensor("f32", [m, qStride]).write(r.array(m * qStride));
          const k = randomKVRows(rt, r, "q8_0", nq + 1, d), v = randomKVRows(rt, r, "q8_0", nq + 1, d);
          const wk = windowOf(rt, r, nw + 4, d), wv = windowOf(rt, r, nw + 4, d);
          const one = rt.tensor("f32", [m, qStride]), split = rt.tensor("f32", [m, qStride]);
          const scratch = [rt.tensor("f32", [nKv]), rt.tensor("f32", [nKv])];
          try {
            const o: AttnPrefillOptions = { m, nKv, headDim: d, nGroup, qStride, scale: 1 / Math.sqrt(d), scores: scratch[0], type: "q8_0", residual: { nw, w0: 3, wk, wv } };
            attnPrefill(one, q, k, v, o);
            splitAttnPrefill(pool!, split, q, k, v, o, scratch, cuts);
            const work = nGroup * d * (m * (nKv - m) + (m * (m + 1)) / 2);
            assert.deepEqual(split.toFloat32Array(), one.toFloat32Array(), `m ${m}, nq ${nq}, nw ${nw}, headDim ${d}: ${work >= ATTN_SPLIT_MIN_WORK ? "split" : "one thread"}`);
          } finally {
            for (const t of [q, k, v, wk, wv, one, split, ...scratch]) t.dispose();
          }
        }
      } finally {
        pool!.dispose();
      }
    });
  }
});

// what a residual store must hold: per row its centered key and value (f32), whether it is still
// in the window (f16), and whether it went through the window before it was quantized (then from
// its f16 values); rows leave the window oldest first
interface ModelRow { kc: Float32Array; v: Float32Array; pos: number; exact: boolean; viaWindow: boolean }

const toF16 = (x: Float32Array) => x.map((a) => f16ToF32(f32ToF16(a)));

function expectedRows(rows: ModelRow[], mu: Float32Array, d: number, which: "k" | "v"): Float32Array {
  const out = new Float32Array(rows.length * d), rb = kvRowBytes("q8_0", d), y = new Uint8Array(rb), back = new Float32Array(d);
  rows.forEach((r, i) => {
    const x = which === "k" ? r.kc : r.v;
    if (r.exact) back.set(toF16(x));
    else { refkv.kv_quantize_rows("q8_0", r.viaWindow ? toF16(x) : x, d, y, d, 1); refkv.kv_dequantize_rows("q8_0", y, back, d, 1); }
    for (let c = 0; c < d; c++) out[i * d + c] = which === "k" ? Math.fround(back[c] + mu[c]) : back[c];
  });
  return out;
}

describe("a q8_0 store with a residual window", () => {
  it("keeps the newest R rows per head exact through appends of any size, prunes across the boundary, measures its bytes", async () => {
    const rt = await runtimeFor("simd");
    const rng = new Rng(76);
    for (const [R, D, posBytes] of [[4, 8, 4], [16, 40, 2], [1, 33, 2]] as [number, number, 2 | 4][]) {
      const L = 2, H = 2;
      const kv = new KVStore(rt, L, H, D, { capacity: 4, headroom: 2, type: "q8_0", residual: R, posBytes });
      assert.equal(kv.layers[0][0].pos.heapBytes >= 4 * posBytes, true);
      assert.equal(kv.residual, R);
      const model: ModelRow[][][] = [...Array(L)].map(() => [...Array(H)].map(() => []));
      const check = (what: string) => {
        const mu = kv.keyMeans()!;
        for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) {
          const rows = model[l][h], m = mu.subarray((l * H + h) * D, (l * H + h + 1) * D);
          assert.deepEqual(kv.rowsF32(l, h, "k"), expectedRows(rows, m, D, "k"), `keys, layer ${l} head ${h}, ${what}`);
          assert.deepEqual(kv.rowsF32(l, h, "v"), expectedRows(rows, m, D, "v"), `values, layer ${l} head ${h}, ${what}`);
          assert.deepEqual([...kv.positions(l, h)], rows.map((r) => r.pos), `positions, ${what}`);
          assert.equal(kv.layers[l][h].nw, rows.filter((r) => r.exact).length, `window rows, ${what}`);
        }
      };
      const append = (m: number) => {
        const k = rt.fromArray(rng.array(m * H * D, 3), [m, H * D]), v = rt.fromArray(rng.array(m * H * D), [m, H * D]);
        const pos0 = kv.seen;
        for (let l = 0; l < L; l++) {
          kv.append(l, k, v, m, pos0);
          const mu = kv.keyMeans()!, kx = k.f32(), vx = v.f32();
          for (let h = 0; h < H; h++) {
            const rows = model[l][h];
            const inWindow = rows.filter((r) => r.exact).length, spillNew = Math.max(0, inWindow + m - R) - Math.min(Math.max(0, inWindow + m - R), inWindow);
            for (let t = 0; t < m; t++) {
              const kc = new Float32Array(D), vv = new Float32Array(D);
              for (let c = 0; c < D; c++) { kc[c] = kx[t * H * D + h * D + c] - mu[(l * H + h) * D + c]; vv[c] = vx[t * H * D + h * D + c]; }
              rows.push({ kc, v: vv, pos: pos0 + t, exact: t >= spillNew, viaWindow: t >= spillNew });
            }
            let exact = rows.filter((r) => r.exact).length;
            for (const r of rows) if (exact > R && r.exact) { r.exact = false; exact--; }
          }
        }
        k.dispose(); v.dispose();
      };
      for (const m of [3, 1, 1, 2 * R + 3, 1, 2, 1, 1, R, 1, 1, 1]) { append(m); check(`after appending ${m}`); }
      // prune one layer: keep rows on both sides of the Q8_0 / window boundary
      const n = model[1][0].length, nq = n - kv.layers[1][0].nw;
      const keep = Int32Array.from(new Set([0, Math.max(0, nq - 2), Math.max(0, nq - 1), Math.min(n - 1, nq + 1), n - 1].filter((r) => r >= 0 && r < n)));
      keep.sort();
      const heapBefore = rt.heap.stats.bytesInUse;
      const released = kv.keep(1, keep);
      assert.equal(heapBefore - rt.heap.stats.bytesInUse, released, "the heap got the bytes back");
      for (let h = 0; h < H; h++) model[1][h] = [...keep].map((r) => model[1][h][r]);
      check("after a prune");
      for (const m of [1, 2, R + 1, 1]) { append(m); check(`after a prune and appending ${m}`); }
      // random appends and prunes (any subset of a head's rows, one head or the layer)
      for (let step = 0; step < 40; step++) {
        if (rng.next() < 0.6) { const m = rng.int(1, 2 * R + 2); append(m); check(`step ${step}: appending ${m}`); continue; }
        const l = rng.int(0, L - 1), h = rng.next() < 0.5 ? rng.int(0, H - 1) : undefined, n1 = h === undefined ? Math.min(...model[l].map((r) => r.length)) : model[l][h].length;
        const keep1 = [...Array(n1).keys()].filter(() => rng.next() < 0.6);
        kv.keep(l, keep1, h);
        for (const hh of h === undefined ? [...Array(H).keys()] : [h]) model[l][hh] = keep1.map((r) => model[l][hh][r]);
        check(`step ${step}: keeping ${keep1.length} of ${n1}`);
      }
      // bytes: the Q8_0 blocks plus two window buffers of R + ceil(R / 4) f16 rows per head, from the allocator
      let want = 0;
      for (const heads of kv.layers) for (const b of heads) {
        assert.equal(b.wk!.size, (R + Math.ceil(R / 4)) * 2 * D);
        want += b.k.heapBytes + b.v.heapBytes + b.pos.heapBytes + b.wk!.heapBytes + b.wv!.heapBytes;
      }
      // the rest is the key means' tensor (L * H * D floats) and the (R, D) f32 scratch, rounded up by the allocator
      const rest = kv.bytes() - want, floats = L * H * D + R * D;
      assert.ok(rest >= floats * 4 && rest < floats * 4 + 512, `bytes() = the blocks, windows, key means and scratch (${rest} bytes left)`);
      kv.dispose();
    }
    assert.equal(rt.heap.stats.bytesInUse, 0);
  });

  it("kv.residual is for q8_0 only, an integer in [0, 4096]: one clear error each", () => {
    assert.equal(KVController.check({ type: "q8_0", residual: 16 }).residual, 16);
    assert.equal(KVController.check({ type: "f32" }).residual, 0);
    assert.equal(KVController.check({ type: "q8_0" }).residual, 16, "q8_0 keeps 16 rows in f16 by default");
    assert.equal(KVController.check({ type: "q8_0", residual: 0 }).residual, 0);
    assert.throws(() => KVController.check({ type: "f32", residual: 16 }), /residual = 16: a residual window is for KV type q8_0, not f32/);
    assert.throws(() => KVController.check({ type: "q8_0", residual: -1 }), /invalid KV option residual = -1: expected an integer in \[0, 4096\]/);
    assert.throws(() => KVController.check({ type: "q8_0", residual: 2.5 }), /invalid KV option residual = 2.5/);
    assert.throws(() => KVController.check({ type: "q8_0", residual: "16" as unknown as number }), /invalid KV option residual = "16"/);
    assert.throws(() => new KVStore(undefined as unknown as Runtime, 1, 1, 8, { capacity: 1, type: "q8_0", residual: -2 }), /residual = -2/);
    // budgetkv eval --kv-types: a type may carry residual=N (its label says so)
    const runs = withKVTypes([{ label: "full", family: "full", adaptive: false, kv: { policy: "full" } }], "q8_0,q8_0/residual=16");
    assert.deepEqual(runs.map((r) => [r.label, r.kv.type, r.kv.residual]), [["full@q8_0", "q8_0", undefined], ["full@q8_0/residual=16", "q8_0", 16]]);
    assert.throws(() => withKVTypes(runs, "f32/residual=16"), /--kv-types: "f32\/residual=16": .*a residual window is for KV type q8_0, not f32/);
    assert.throws(() => withKVTypes(runs, "q8_0/window=4"), /unknown option "window=4" \(known: residual=N\)/);
  });
});

describe("a store of 2-byte positions", () => {
  it("holds positions below 65,536 in 2 bytes a row (half the heap of 4); one past is one clear error", async () => {
    const rt = await runtimeFor("simd"), D = 8;
    for (const type of ["f32", "q8_0"] as const) {
      const kv = new KVStore(rt, 1, 1, D, { capacity: 200, type, posBytes: 2 }), four = new KVStore(rt, 1, 1, D, { capacity: 200, type, posBytes: 4 });
      const k = rt.fromArray(new Float32Array(3 * D).fill(1), [3, D]);
      kv.append(0, k, k, 3, 65533); four.append(0, k, k, 3, 65533);
      assert.deepEqual([...kv.positions(0, 0)], [65533, 65534, 65535]);
      assert.equal(four.bytes() - kv.bytes(), four.layers[0][0].pos.heapBytes - kv.layers[0][0].pos.heapBytes);
      assert.ok(kv.layers[0][0].pos.heapBytes < four.layers[0][0].pos.heapBytes, "2-byte positions take less heap");
      assert.throws(() => kv.append(0, k, k, 1, 65536), /kv append: position 65536 does not fit this store's 2-byte positions \(below 65,536\)/);
      kv.keep(0, [0, 2]);
      assert.deepEqual([...kv.positions(0, 0)], [65533, 65535]);
      assert.throws(() => kv.setRows(0, 0, new Uint8Array(type === "f32" ? 4 * D : kvRowBytes(type, D)), new Uint8Array(type === "f32" ? 4 * D : kvRowBytes(type, D)), Int32Array.of(70000)), /position 70000 does not fit/);
      assert.throws(() => new KVStore(rt, 1, 1, D, { capacity: 2, type, posBytes: 3 as 2 }), /posBytes = 3, expected 2 or 4/);
      k.dispose(); kv.dispose(); four.dispose();
    }
    assert.equal(rt.heap.stats.bytesInUse, 0);
  });
});

describe("the controller's choice of position bytes (stories260K)", { skip: needFiles("models/stories260K.bin") }, () => {
  it("2 bytes a row without context shift, 4 with it: the same cache measures more bytes with contextShift on", async () => {
    const llm = await LLM.load(sharedPath("models", "stories260K.bin"));
    try {
      const prompt = { tokens: [1, ...Array.from({ length: 60 }, (_, i) => 300 + i)] };
      const run = async (kv: Record<string, unknown>) => (await llm.complete(prompt, { temperature: 0, maxTokens: 4, kv: { policy: "streaming", budget: 40, ...kv } })).kv!;
      for (const type of ["f32", "q8_0"]) {
        const two = await run({ type }), four = await run({ type, contextShift: true });
        assert.deepEqual(two.keptPerLayer, four.keptPerLayer);
        // 5 layers x 4 KV heads, 61 + 4 rows each (the prompt and the decode headroom): 2 bytes a row more with shift, allocator rounding aside
        assert.ok(four.bytesFull - two.bytesFull >= 5 * 4 * 2 * 60, `${type}: ${four.bytesFull} vs ${two.bytesFull} bytes`);
      }
    } finally {
      llm.dispose();
    }
  });
});

describe("snapshots of a residual store (version 4)", () => {
  const model = { name: "m", arch: "llama", dim: 16, nLayers: 2, nHeads: 2, nKvHeads: 2, headDim: 8, vocabSize: 4, weights: "0" };

  // a store of 2 layers x 2 KV heads, head_dim 8, residual R, after appends of these sizes and a prune
  async function filled(R: number, seed: number, posBytes: 2 | 4 = 4): Promise<KVStore> {
    const rt = await runtimeFor("simd"), rng = new Rng(seed), D = 8;
    const kv = new KVStore(rt, 2, 2, D, { capacity: 4, headroom: 2, type: "q8_0", residual: R, posBytes });
    for (const m of [5, 1, 2, 1]) {
      const k = rt.fromArray(rng.array(m * 2 * D, 3), [m, 2 * D]), v = rt.fromArray(rng.array(m * 2 * D), [m, 2 * D]);
      for (let l = 0; l < 2; l++) kv.append(l, k, v, m, kv.seen);
      k.dispose(); v.dispose();
    }
    kv.keep(1, [0, 2, 6, 7, 8], 1);
    return kv;
  }

  it("saves the Q8_0 rows and the window rows as stored; restoring gives the same rows, window and positions", async () => {
    for (const [R, posBytes] of [[0, 4], [3, 4], [3, 2]] as [number, 2 | 4][]) {
      const kv = await filled(R, 81, posBytes);
      const header = { model, kvType: "q8_0" as KVType, seen: kv.seen, tokens: [], session: {}, keyMeans: encodeKeyMeans(kv.keyMeans()) };
      const bytes = encodeSnapshot(header, kv.layers);
      const d = decodeSnapshot(bytes, model);
      const back = new KVStore(kv.rt, 2, 2, 8, { capacity: 1, type: "q8_0", residual: R, posBytes: posBytes === 2 ? 4 : 2 });   // the file holds i32 positions either way
      d.rows.forEach((heads, l) => heads.forEach((r, h) => back.setRows(l, h, r.k, r.v, r.pos, r.wk, r.wv)));
      back.setKeyMeans(d.keyMeans);
      for (let l = 0; l < 2; l++) for (let h = 0; h < 2; h++) {
        assert.equal(back.layers[l][h].nw, kv.layers[l][h].nw, `window rows, layer ${l} head ${h}`);
        if (R > 0) assert.ok(kv.layers[l][h].nw > 0, "the test saves window rows");
        for (const w of ["k", "v"] as const) assert.deepEqual(back.rowsF32(l, h, w), kv.rowsF32(l, h, w), `${w}, residual ${R}, layer ${l} head ${h}`);
        assert.deepEqual(back.positions(l, h), kv.positions(l, h));
      }
      kv.dispose(); back.dispose();
    }
  });

  it("reads a version 3 file with empty windows; window rows that do not fit are one clear error", async () => {
    const kv = await filled(0, 82), rb = kvRowBytes("q8_0", 8);
    const header = { model, kvType: "q8_0" as KVType, seen: kv.seen, tokens: [], session: {}, keyMeans: encodeKeyMeans(kv.keyMeans()) };
    // version 3 by hand: per head u32 n; pos; k rows; v rows; padding
    const json = new TextEncoder().encode(JSON.stringify(header)), start = 12 + json.length + ((4 - (json.length % 4)) % 4);
    const parts: Uint8Array[] = [];
    for (const heads of kv.layers) for (const b of heads) {
      const len = 4 + 4 * b.n + 2 * b.n * rb, rec = new Uint8Array(len + ((4 - (len % 4)) % 4));
      new DataView(rec.buffer).setUint32(0, b.n, true);
      rec.set(b.pos.bytes().subarray(0, 4 * b.n), 4);
      rec.set(b.k.bytes().subarray(0, b.n * rb), 4 + 4 * b.n);
      rec.set(b.v.bytes().subarray(0, b.n * rb), 4 + 4 * b.n + b.n * rb);
      parts.push(rec);
    }
    const body = parts.reduce((a, p) => a + p.length, 0), v3 = new Uint8Array(start + body + 4), dv = new DataView(v3.buffer);
    v3.set([0x42, 0x4b, 0x56, 0x53]); dv.setUint32(4, 3, true); dv.setUint32(8, json.length, true); v3.set(json, 12);
    let o = start;
    for (const p of parts) { v3.set(p, o); o += p.length; }
    dv.setUint32(o, crc32(v3.subarray(0, o)), true);
    const d = decodeSnapshot(v3, model);
    d.rows.forEach((heads, l) => heads.forEach((r, h) => {
      assert.equal(r.wk.length, 0);
      assert.deepEqual(r.k, kv.layers[l][h].k.bytes().slice(0, kv.layers[l][h].n * rb));
    }));
    // a residual store restores version 3 rows as Q8_0 rows with an empty window
    const back = new KVStore(kv.rt, 2, 2, 8, { capacity: 1, type: "q8_0", residual: 4 });
    d.rows.forEach((heads, l) => heads.forEach((r, h) => back.setRows(l, h, r.k, r.v, r.pos, r.wk, r.wv)));
    back.setKeyMeans(d.keyMeans);
    assert.deepEqual(back.rowsF32(1, 1, "k"), kv.rowsF32(1, 1, "k"));
    assert.equal(back.layers[1][1].nw, 0);
    // version 4 with a head's nw past its n: one error naming it (the checksum recomputed)
    const kw = await filled(3, 83), v4 = encodeSnapshot({ ...header, seen: kw.seen, keyMeans: encodeKeyMeans(kw.keyMeans()) }, kw.layers);
    const h0 = 12 + new DataView(v4.buffer).getUint32(8, true), at = h0 + ((4 - (h0 % 4)) % 4);
    const dv4 = new DataView(v4.buffer);
    dv4.setUint32(at + 4, dv4.getUint32(at, true) + 1, true);
    dv4.setUint32(v4.length - 4, crc32(v4.subarray(0, v4.length - 4)), true);
    assert.throws(() => decodeSnapshot(v4, model), /layer 0 head 0: \d+ residual window rows of \d+ in a q8_0 cache/);
    // more window rows than the store keeps, or rows not whole: setRows refuses
    const r0 = decodeSnapshot(encodeSnapshot({ ...header, seen: kw.seen, keyMeans: encodeKeyMeans(kw.keyMeans()) }, kw.layers), model).rows[0][0];
    const small = new KVStore(kv.rt, 2, 2, 8, { capacity: 1, type: "q8_0", residual: 1 });
    assert.throws(() => small.setRows(0, 0, r0.k, r0.v, r0.pos, r0.wk, r0.wv), /3 residual window rows for a store that keeps 1/);
    assert.throws(() => back.setRows(0, 0, r0.k, r0.v, r0.pos, r0.wk.subarray(1), r0.wv.subarray(1)), /not whole f16 rows of 16/);
    for (const x of [kv, back, kw, small]) x.dispose();
  });
});
