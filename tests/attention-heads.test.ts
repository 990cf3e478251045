// Decode attention of a whole layer (attnDecodeHeads: one kernel call over every KV head) and split
// by query heads over a thread pool (splitAttnDecode): the same bits as one attnDecode per KV head,
// output and softmax weights (each KV head's in its own scores region), for every KV row type
// (f32, f16, q8_0), on both builds and the ts fallback, 2 and 3 threads; blocks of unequal length
// (a pruned cache: n differs per head and from the position), empty and one-row blocks included.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, skipReason } from "./helpers/runtimes.ts";
import { createRuntime, canShareMemory, type BuildName, type Runtime } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";
import { ThreadPool } from "../src/wasm/threads.ts";
import { attnDecode, attnDecodeHeads, type AttnDecodeHeadsOptions, type KVBlock } from "../src/wasm/ops/attention.ts";
import { KV_TYPES, type KVType } from "../src/kv/kv-type.ts";
import { randomKVRows } from "./helpers/kv-rows.ts";
import { POOL_KERNELS, headCuts, splitAttnDecode } from "../src/wasm/ops/parallel.ts";

// [headDim, nGroup, rows per KV head]: odd sizes, head_dim 8 (the q8_0 d8 path), GQA groups of
// 1 to 4, heads of unequal length, empty and one-row heads, a head longer than a decode tile (64)
const SHAPES: [number, number, number[]][] = [
  [64, 3, [200, 200, 200]],
  [64, 3, [130, 7, 0]],
  [8, 2, [33, 1, 0, 90]],
  [48, 1, [5, 70, 3, 1, 0]],
  [20, 4, [1, 1]],
  [8, 3, [0, 0, 0]],
  [64, 2, [300]],
  [33, 5, [17, 64, 65]],
];

interface Layer { q: Tensor; blocks: KVBlock[]; nHeads: number; ctx: number; dispose(): void }

// a query (nHeads, headDim) and one block per KV head, rows of `type` rounded from random f32
// rows, each with a few spare rows past its n (as a KVStore block has)
function layer(rt: Runtime, r: Rng, type: KVType, headDim: number, nGroup: number, ns: number[]): Layer {
  const nHeads = ns.length * nGroup, ctx = Math.max(1, ...ns);
  const q = rt.tensor("f32", [nHeads, headDim]).write(r.array(nHeads * headDim));
  const rows = (n: number) => randomKVRows(rt, r, type, n + 3, headDim, 2);
  const blocks = ns.map((n) => ({ k: rows(n), v: rows(n), n }));
  return { q, blocks, nHeads, ctx, dispose: () => { q.dispose(); for (const b of blocks) { b.k.dispose(); b.v.dispose(); } } };
}

// the serial path: one attnDecode per KV head, its weights copied to region h of a
// (nKvHeads, nGroup, ctx) scores layout; returns [out, scores]
function perHead(rt: Runtime, L: Layer, type: KVType, headDim: number, nGroup: number, scale: number): [Float32Array, Float32Array] {
  const out = rt.tensor("f32", [L.nHeads, headDim]), s = rt.tensor("f32", [nGroup, L.ctx]);
  const scores = new Float32Array(L.blocks.length * nGroup * L.ctx);
  try {
    L.blocks.forEach((b, h) => {
      const off = h * nGroup * headDim;
      attnDecode(out, L.q, b.k, b.v, { nKv: b.n, headDim, nGroup, scale, scores: s, qOffset: off, outOffset: off, type });
      scores.set(s.f32().subarray(0, nGroup * b.n), h * nGroup * L.ctx);
    });
    return [out.toFloat32Array(), scores];
  } finally {
    out.dispose();
    s.dispose();
  }
}

// runs f with fresh out, scores (filled with NaN outside what a head writes: compared as the
// per-head layout, so only each head's (nGroup, n_h) rows matter) and table tensors
function withBuffers(rt: Runtime, L: Layer, type: KVType, headDim: number, nGroup: number, scale: number,
                     f: (out: Tensor, o: AttnDecodeHeadsOptions) => void): [Float32Array, Float32Array] {
  const out = rt.tensor("f32", [L.nHeads, headDim]).write(new Float32Array(L.nHeads * headDim).fill(NaN));
  const scores = rt.tensor("f32", [L.blocks.length, nGroup, L.ctx]);
  const table = rt.tensor("i32", [L.blocks.length, 3]);
  try {
    f(out, { headDim, nGroup, scale, scores, scoreStride: L.ctx, table, type });
    // keep only each head's written rows: (nGroup, n_h) at h * nGroup * ctx
    const s = new Float32Array(scores.size), all = scores.f32();
    L.blocks.forEach((b, h) => s.set(all.subarray(h * nGroup * L.ctx, h * nGroup * L.ctx + nGroup * b.n), h * nGroup * L.ctx));
    return [out.toFloat32Array(), s];
  } finally {
    for (const t of [out, scores, table]) t.dispose();
  }
}

describe("attnDecodeHeads", () => {
  for (const build of [...WASM_BUILDS, "ts"] as BuildName[]) {
    it(`${build}: the same bits as one attnDecode per KV head, output and each head's weights`, { skip: build === "ts" ? false : skipReason(build) }, async () => {
      const rt = await createRuntime({ build });
      const r = new Rng(7);
      for (const type of KV_TYPES) for (const [headDim, nGroup, ns] of SHAPES) {
        const L = layer(rt, r, type, headDim, nGroup, ns), scale = 1 / Math.sqrt(headDim);
        try {
          const [out0, s0] = perHead(rt, L, type, headDim, nGroup, scale);
          const [out1, s1] = withBuffers(rt, L, type, headDim, nGroup, scale, (out, o) => attnDecodeHeads(out, L.q, L.blocks, o));
          const what = `${type}, headDim ${headDim}, nGroup ${nGroup}, rows ${ns}`;
          assert.deepEqual(out1, out0, `output: ${what}`);
          assert.deepEqual(s1, s0, `weights: ${what}`);
          // an empty head's output is 0, a one-row head's is its value row
          L.blocks.forEach((b, h) => { if (b.n === 0) assert.ok(out1.subarray(h * nGroup * headDim, (h + 1) * nGroup * headDim).every((x) => x === 0), what); });
        } finally {
          L.dispose();
        }
      }
    });
  }

  it("bad arguments are one RangeError naming the problem", async () => {
    const rt = await createRuntime({ build: "simd" });
    const L = layer(rt, new Rng(1), "f32", 8, 2, [4, 6]);
    const out = rt.tensor("f32", [4, 8]), scores = rt.tensor("f32", [2, 2, 6]), table = rt.tensor("i32", [2, 3]);
    try {
      const o: AttnDecodeHeadsOptions = { headDim: 8, nGroup: 2, scale: 1, scores, scoreStride: 6, table };
      attnDecodeHeads(out, L.q, L.blocks, o);
      assert.throws(() => attnDecodeHeads(out, L.q, L.blocks, { ...o, scoreStride: 5 }), /KV head 1 holds 6 rows, more than scoreStride 5/);
      assert.throws(() => attnDecodeHeads(out, L.q, L.blocks, { ...o, scoreStride: 7 }), /scores needs elements \[0, 28\), has 24/);
      assert.throws(() => attnDecodeHeads(out, L.q, L.blocks, { ...o, table: rt.tensor("i32", [5]) }), /table holds 5 entries, needs 3 per KV head = 6/);
      assert.throws(() => attnDecodeHeads(out, L.q, L.blocks, { ...o, table: scores }), /table is f32, expected i32/);
      assert.throws(() => attnDecodeHeads(out, L.q, [...L.blocks, L.blocks[0]], o), /q needs elements \[0, 48\), has 32/);
      assert.throws(() => attnDecodeHeads(out, L.q, [L.blocks[0], { ...L.blocks[1], n: 10 }], { ...o, scores: rt.tensor("f32", [40]), scoreStride: 10 }), /k needs elements \[0, 80\), has 72/);
      assert.throws(() => attnDecodeHeads(out, L.q, L.blocks, { ...o, type: "q8_0" }), /k is f32, expected u8/);
    } finally {
      for (const t of [out, scores, table]) t.dispose();
      L.dispose();
    }
  });
});

describe("headCuts", () => {
  it("cuts the query heads into ascending parts of about equal work", () => {
    const blocks = (ns: number[]) => ns.map((n) => ({ n }) as KVBlock);
    for (const [threads, nGroup, ns] of [[2, 3, [512, 512, 512]], [2, 3, [512, 0, 0]], [3, 1, [5, 70, 3, 1, 0]], [2, 4, [0]], [4, 2, [9, 9]], [8, 3, [100, 1, 50]], [2, 1, [1]]] as [number, number, number[]][]) {
      const cuts = new Int32Array(threads + 1);
      headCuts(cuts, threads, blocks(ns), nGroup);
      const nHeads = ns.length * nGroup, cost = (u0: number, u1: number) => { let s = 0; for (let u = u0; u < u1; u++) s += ns[Math.floor(u / nGroup)] + 1; return s; };
      assert.equal(cuts[0], 0);
      assert.equal(cuts[threads], nHeads);
      for (let t = 0; t < threads; t++) assert.ok(cuts[t] <= cuts[t + 1], `${cuts}`);
      const total = cost(0, nHeads), headMax = Math.max(...ns) + 1;
      for (let t = 0; t < threads; t++) assert.ok(Math.abs(cost(cuts[t], cuts[t + 1]) - total / threads) <= headMax, `part ${t} of ${cuts}: ${cost(cuts[t], cuts[t + 1])} of ${total}`);
    }
    // equal heads, threads dividing the KV heads: whole groups
    const c = new Int32Array(3);
    headCuts(c, 2, blocks([64, 64, 64, 64]), 3);
    assert.deepEqual([...c], [0, 6, 12]);
    // SmolLM2-135M's 9 query heads over 3 KV heads on 2 threads: 4 and 5 (a group split), not 6 and 3
    headCuts(c, 2, blocks([512, 512, 512]), 3);
    assert.deepEqual([...c], [0, 4, 9]);
  });
});

describe("splitAttnDecode", () => {
  for (const build of WASM_BUILDS) {
    const skip = skipReason(build) ?? (canShareMemory() ? false : "no shared memory here");
    it(`${build}: the same bits as one thread, split or not`, { skip }, async () => {
      const rt = await createRuntime({ build, shared: true });
      for (const threads of [2, 3]) {
        const pool = await ThreadPool.create(rt, threads, POOL_KERNELS);
        assert.ok(pool, "this runtime could not start a worker thread");
        const cuts = new Int32Array(threads + 1);
        try {
          const r = new Rng(threads);
          for (const type of KV_TYPES) for (const [headDim, nGroup, ns] of SHAPES) {
            const L = layer(rt, r, type, headDim, nGroup, ns), scale = 1 / Math.sqrt(headDim);
            try {
              const [out0, s0] = perHead(rt, L, type, headDim, nGroup, scale);
              const what = `${type}, headDim ${headDim}, nGroup ${nGroup}, rows ${ns}, ${threads} threads`;
              for (const minWork of [0, undefined]) {
                const [out1, s1] = withBuffers(rt, L, type, headDim, nGroup, scale, (out, o) => splitAttnDecode(pool!, out, L.q, L.blocks, o, cuts, minWork));
                assert.deepEqual(out1, out0, `output, minWork ${minWork}: ${what}`);
                assert.deepEqual(s1, s0, `weights, minWork ${minWork}: ${what}`);
              }
            } finally {
              L.dispose();
            }
          }
        } finally {
          pool!.dispose();
        }
      }
    });
  }

  it("bad arguments are one RangeError, before any thread runs", { skip: canShareMemory() ? false : "no shared memory here" }, async () => {
    const rt = await createRuntime({ build: "simd", shared: true });
    const pool = await ThreadPool.create(rt, 2, POOL_KERNELS);
    const L = layer(rt, new Rng(2), "f32", 8, 2, [4, 6]);
    const out = rt.tensor("f32", [4, 8]), scores = rt.tensor("f32", [2, 2, 6]), table = rt.tensor("i32", [2, 3]);
    try {
      const o: AttnDecodeHeadsOptions = { headDim: 8, nGroup: 2, scale: 1, scores, scoreStride: 6, table };
      assert.throws(() => splitAttnDecode(pool!, out, L.q, L.blocks, o, new Int32Array(2), 0), /cuts holds 2 entries, needs threads \+ 1 = 3/);
      assert.throws(() => splitAttnDecode(pool!, out, L.q, L.blocks, { ...o, scoreStride: 5 }, new Int32Array(3), 0), /splitAttnDecode: KV head 1 holds 6 rows/);
    } finally {
      pool!.dispose();
      for (const t of [out, scores, table]) t.dispose();
      L.dispose();
    }
  });
});
