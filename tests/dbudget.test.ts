import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";
import * as ref from "../src/ref/dbudget.ts";
import { dbudgetCut, nucleusCut } from "../src/wasm/ops/dbudget.ts";
import type { Runtime } from "../src/wasm/runtime.ts";

// Both cuts sum in f64 in the reference's order, so kernel and reference return the same j exactly.

// n_heads softmax rows of length n, some sharp, some flat
function attnRows(rng: Rng, nHeads: number, n: number): Float32Array {
  const a = new Float32Array(nHeads * n);
  for (let h = 0; h < nHeads; h++) {
    const temp = rng.next() < 0.5 ? 4 : 0.5;
    let sum = 0;
    for (let i = 0; i < n; i++) { const e = Math.exp(temp * rng.normal()); a[h * n + i] = e; sum += e; }
    for (let i = 0; i < n; i++) a[h * n + i] /= sum;
  }
  return a;
}

// candidates newest first with the sinks left out, as DBudgetKV ranks them
function newestFirst(n: number, sinks: number): Int32Array {
  const o = new Int32Array(Math.max(n - sinks, 0));
  for (let j = 0; j < o.length; j++) o[j] = n - 1 - j;
  return o;
}

// all n positions in a random order (Fisher-Yates)
function shuffled(rng: Rng, n: number): Int32Array {
  const o = new Int32Array(n).map((_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = rng.int(0, i); [o[i], o[j]] = [o[j], o[i]]; }
  return o;
}

const TOLS = [1e-4, 1e-3, 0.01, 0.05, 0.2, 0.6];

function cut(rt: Runtime, rows: number[][], order: number[], tol: number): number {
  const attn = rt.fromArray(rows.flat(), [rows.length, rows[0].length]);
  try { return dbudgetCut(attn, order, tol); } finally { attn.dispose(); }
}

for (const build of WASM_BUILDS) {
  describe(`dbudget (${build})`, { skip: skipReason(build) }, () => {
    it("dbudget_cut_f32 on a hand-computed 2-head, 6-position example", async () => {
      const rt = await runtimeFor(build);
      // sinks 0, 1 left out; candidates newest first: order = [5, 4, 3, 2]
      // head 0 = [.3, .1, 0, .2, 0, .4]: weights in order .4, 0, .2, 0
      //   running sum of squares .16, .16, .20, .20 -> sqrt .4, .4, .447214, .447214
      // head 1 = [.2, .2, .3, 0, .3, 0]: weights in order 0, .3, 0, .3
      //   running sum of squares 0, .09, .09, .18 -> sqrt 0, .3, .3, .424264
      // kept_j = mean of the two: .2, .35, .373607, .435739 = base
      // drop_j = (base - kept_j) / base: .541009, .196767, .142590, 0
      const rows = [[0.3, 0.1, 0, 0.2, 0, 0.4], [0.2, 0.2, 0.3, 0, 0.3, 0]];
      const order = [5, 4, 3, 2];
      const expect: [number, number][] = [[0.6, 1], [0.5, 2], [0.2, 2], [0.19, 3], [0.15, 3], [0.1, 4], [1e-6, 4]];
      for (const [tol, j] of expect) assert.equal(cut(rt, rows, order, tol), j, `tol ${tol}`);
      // tol <= 0 or NaN keeps everything; no candidates keep nothing
      for (const tol of [0, -1, NaN]) assert.equal(cut(rt, rows, order, tol), 4, `tol ${tol}`);
      assert.equal(cut(rt, rows, [], 0.01), 0);
      // zero mass on every candidate: keep none of them; a NaN among the candidates: keep all
      assert.equal(cut(rt, [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0]], order, 0.01), 0);
      assert.equal(cut(rt, [[0.3, 0.1, 0, NaN, 0, 0.4], rows[1]], order, 0.01), 4);
      // a NaN outside the candidates is not looked at
      assert.equal(cut(rt, [[NaN, 0.1, 0, 0.2, 0, 0.4], rows[1]], order, 0.15), 3);
      assert.throws(() => cut(rt, rows, [6], 0.1), /order\[0\] = 6/);
    });

    it("dbudget_cut_f32 equals the reference on 240 random layers and tolerances", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(31);
      for (let t = 0; t < 240; t++) {
        const nHeads = rng.int(1, 9), n = t < 6 ? t + 1 : rng.int(1, t % 4 === 0 ? 2000 : 150);
        const a = attnRows(rng, nHeads, n);
        const order = t % 3 === 0 ? shuffled(rng, n) : newestFirst(n, Math.min(4, n));
        const tol = TOLS[t % TOLS.length];
        const attn = rt.fromArray(a, [nHeads, n]);
        const got = dbudgetCut(attn, order, tol);
        assert.equal(got, ref.dbudget_cut_f32(a, nHeads, n, order, order.length, tol), `nHeads=${nHeads} n=${n} tol=${tol}`);
        assert.ok(got >= (order.length ? 1 : 0) && got <= order.length);
        // a larger tolerance never keeps more
        assert.ok(dbudgetCut(attn, order, tol * 2) <= got);
        attn.dispose();
      }
    });

    it("nucleus_cut_f32 on a hand-computed example", async () => {
      const rt = await runtimeFor(build);
      // s sums to 1 over all 6 positions; sinks 0, 1 kept aside; candidates by s: 3 (.25), 4 (.2), 5 (.1), 2 (.05)
      // evicted mass keeping j of them: j=0 .6, j=1 .35, j=2 .15, j=3 .05, j=4 0
      const s = rt.fromArray([0.3, 0.1, 0.05, 0.25, 0.2, 0.1]);
      const order = [3, 4, 5, 2];
      const expect: [number, number][] = [[0.7, 0], [0.5, 1], [0.2, 2], [0.1, 3], [0.01, 4], [1e-9, 4], [0, 4], [-1, 4], [NaN, 4]];
      for (const [tol, j] of expect) assert.equal(nucleusCut(s, order, tol), j, `tol ${tol}`);
      assert.equal(nucleusCut(s, [], 0.1), 0);
      s.write([0, 0, 0, 0, 0, 0]);
      assert.equal(nucleusCut(s, order, 0.1), 0);    // no mass anywhere: nothing to keep
      s.write([0.3, 0.1, NaN, 0.25, 0.2, 0.1]);
      assert.equal(nucleusCut(s, order, 0.1), 4);    // NaN mass: keep everything
      s.dispose();
    });

    it("nucleus_cut_f32 equals the reference on 240 random layers and tolerances", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(32);
      for (let t = 0; t < 240; t++) {
        const n = t < 6 ? t + 1 : rng.int(1, t % 4 === 0 ? 2000 : 150);
        const a = attnRows(rng, 1, n);
        const cands = Array.from({ length: Math.max(n - 4, 0) }, (_, j) => j + Math.min(4, n));
        cands.sort((x, y) => a[y] - a[x] || y - x); // by mass, newer first on ties
        const order = Int32Array.from(cands), tol = TOLS[t % TOLS.length];
        const s = rt.fromArray(a);
        const got = nucleusCut(s, order, tol);
        assert.equal(got, ref.nucleus_cut_f32(a, n, order, order.length, tol), `n=${n} tol=${tol}`);
        let ev = 0;
        for (let j = got; j < order.length; j++) ev += a[order[j]];
        assert.ok(ev <= tol * 1.0000001, `evicted ${ev} > ${tol}`); // rows sum to 1
        s.dispose();
      }
    });

    it("the wrappers' temporaries are freed: heap use is flat over many calls, errors included", async () => {
      const rt = await runtimeFor(build);
      const rng = new Rng(33);
      const attn = rt.fromArray(attnRows(rng, 3, 50), [3, 50]), s = rt.fromArray(attnRows(rng, 1, 50));
      const order = Array.from({ length: 46 }, (_, j) => 49 - j);
      dbudgetCut(attn, order, 0.01); nucleusCut(s, order, 0.01);
      const before = rt.heap.stats.bytesInUse;
      for (let i = 0; i < 300; i++) {
        dbudgetCut(attn, order, 0.01);
        nucleusCut(s, order, 0.01);
        assert.throws(() => nucleusCut(s, [0, 50], 0.01), /order\[1\] = 50/);
      }
      assert.equal(rt.heap.stats.bytesInUse, before);
      attn.dispose(); s.dispose();
    });
  });
}
