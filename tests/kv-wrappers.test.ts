// headwise (AdaKV), threshold (DMSPress) and keydiff on hand-made scores: each keeps what its
// definition says, budgets are exact, options are validated; then on a real model.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildPolicy } from "../src/kv/registry.ts";
import type { LayerContext, Selection } from "../src/kv/policy.ts";
import type { KVHead } from "../src/kv/store.ts";
import type { Runtime } from "../src/wasm/runtime.ts";
import { runtimeFor } from "./helpers/runtimes.ts";
import { normalizeScores } from "../src/kv/policies/scorers.ts";
import { keyDiffScores } from "../src/kv/policies/keydiff.ts";
import { expectedScores } from "../src/kv/policies/expected.ts";
import { ropeMean } from "../src/kv/rope-mean.ts";
import { ropeInvFreq } from "../src/wasm/ops/rope.ts";
import { LLM } from "../src/llm.ts";
import { KVController } from "../src/kv/controller.ts";
import { Linear } from "../src/model/linear.ts";
import { projectedValueL1 } from "../src/kv/vnorm.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

// A layer of nKvHeads heads (one query head each) of n rows at positions 0..n-1, whose window
// attention is `attn[h]`, whose keys are `keys[h]` ((n, d) row-major) and whose values through
// W_o have L1 norms `vnorms[h]`.
function layer(rt: Runtime, attn: number[][], keys?: number[][], d = 2, vnorms?: number[][], lastAttn?: number[][]): LayerContext {
  const H = attn.length, n = attn[0].length;
  const heads = attn.map((_, h) => ({ n, k: { f32: () => Float32Array.from(keys?.[h] ?? new Array(n * d).fill(1)) } }) as unknown as KVHead);
  return {
    rt, layer: 2, nLayers: 4, nHeads: H, nKvHeads: H, headDim: d, heads,
    positions: () => Int32Array.from({ length: n }, (_, i) => i),
    keys: (h) => Float32Array.from(keys?.[h] ?? new Array(n * d).fill(1)),
    values: () => { throw new Error("no values in this layer"); },
    windowScores: (h) => Float32Array.from(attn[h]),
    // the last query's attention: the window's unless a test gives it (layer.last)
    lastScores: (h) => Float32Array.from((lastAttn ?? attn)[h]),
    valueOutL1: (h) => Float32Array.from(vnorms?.[h] ?? new Array(n).fill(1)),
    queryStats: () => { throw new Error("no query statistics in this layer"); },
    ropeMean: () => { throw new Error("no RoPE in this layer"); },
    keyNorms: (h) => {
      const k = keys![h], out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.hypot(...k.slice(i * d, (i + 1) * d));
      return out;
    },
  };
}

const rows = (s: Selection) => (s === null ? null : s instanceof Int32Array ? [...s] : s.map((r) => [...r]));

describe("KV wrappers and keydiff on hand-made scores", () => {
  let rt: Runtime;
  before(async () => { rt = await runtimeFor("simd"); });

  // rows 10, 11 are SnapKV's window (always kept); candidates 0..9
  const concentrated = [10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5];
  const spread = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5, 5];
  const snap = { scorer: "snapkv", window: 2, kernel: 1, ratio: 0.5 };

  it("headwise moves a concentrated head's budget to a spread-out head, keeping the layer's total exactly", () => {
    const ctx = layer(rt, [concentrated, spread]);
    // b = 6 per head: window 2 + k = 4 ranked; safeguard floor(.25 * 4) = 1 per head (row 0 in
    // both, ties to the older row); the joint 6 others all go to head 1 (0.1 each vs 0)
    const sel = rows(buildPolicy({ policy: "headwise", alpha: 0.25, ...snap }).select(ctx)) as number[][];
    assert.deepEqual(sel, [[0, 10, 11], [0, 1, 2, 3, 4, 5, 6, 10, 11]]);
    assert.equal(sel[0].length + sel[1].length, 2 * 6);
    // plain SnapKV on the same layer keeps 6 in each head
    const plain = rows(buildPolicy({ policy: "snapkv", window: 2, kernel: 1, ratio: 0.5 }).select(ctx)) as number[][];
    assert.deepEqual(plain.map((r) => r.length), [6, 6]);
    // alpha 1: every head keeps its own budget, as the wrapped policy would
    const own = rows(buildPolicy({ policy: "headwise", alpha: 1, ...snap }).select(ctx)) as number[][];
    assert.deepEqual(own, plain);
  });

  it("headwise divides a head's scores by their total over all its rows: a head looking at its window gives up candidates", () => {
    // head 0 puts 160 of 180 on its window (candidates 2/180 each), head 1 spreads 12 evenly
    // (1/12 each): the joint pool of 8 (alpha 0) goes to head 1. Over candidates alone (the first
    // version) every candidate is worth .1 and the ties go to head 0.
    const a = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 80, 80], b = Array(12).fill(1);
    const ctx = layer(rt, [a, b]);
    assert.deepEqual(rows(buildPolicy({ policy: "headwise", alpha: 0, ...snap }).select(ctx)), [[10, 11], [0, 1, 2, 3, 4, 5, 6, 7, 10, 11]]);
    assert.deepEqual(rows(buildPolicy({ policy: "headwise", alpha: 0, norm: "candidates", ...snap }).select(ctx)), [[0, 1, 2, 3, 4, 5, 6, 7, 10, 11], [10, 11]]);
    assert.throws(() => buildPolicy({ policy: "headwise", norm: "max" }), /norm = "max"/);
  });

  it("nucleus ranks by the window mean, the last query or both, pools over neighbours, and keeps a flat layer whole", () => {
    const a0 = [0, 6, 2, 0, 0, 0, 0, 0], a1 = [0, 1, 1, 1, 1, 1, 1, 0];
    const l0 = [0, 0, 0, 0, 8, 0, 0, 0];
    const ctx = layer(rt, [a0, a1], undefined, 2, undefined, [l0, a1]);
    const nuc = (o: Record<string, unknown>) => rows(buildPolicy({ policy: "nucleus", tolerance: 0.25, sinks: 1, ...o }).select(ctx));
    // mean: s = [0, 3.5, 1.5, .5, .5, .5, .5, 0], total 7, evict <= 1.75: keep 1, 2, 6 (ties newest first)
    assert.deepEqual(nuc({ signal: "mean" }), [0, 1, 2, 6]);
    // recent 2: rows 6, 7 kept, their mass counted as kept; rows 1..5 ranked: keep 1, 2 (evicted 1.5)
    assert.deepEqual(nuc({ signal: "mean", recent: 2 }), [0, 1, 2, 6, 7]);
    // mean+last: s = a0/4 + l0/4 + a1/2 = [0, 2, 1, .5, 2.5, .5, .5, 0], total 7.5, evict <= 1.875:
    // keep 4, 1, 2 (evicted 1.5): row 4, which only the last query reads, is kept
    assert.deepEqual(nuc({ signal: "mean+last" }), [0, 1, 2, 4]);
    assert.deepEqual(nuc({}), [0, 1, 2, 6], "the default signal is the window mean");
    // last: s = [0, .5, .5, .5, 4.5, .5, .5, 0], total 7, evict <= 1.75: keep 4, 6, 5
    assert.deepEqual(nuc({ signal: "last" }), [0, 4, 5, 6]);
    assert.equal(buildPolicy({ policy: "nucleus" }).lastQuery, false, "the window mean needs no last query");
    assert.equal(buildPolicy({ policy: "nucleus", signal: "mean+last" }).lastQuery, true);
    // pooling: one peak at row 4; kernel 3 gives rows 3, 4, 5 its score (total 24, evict <= 7.2)
    const peak = layer(rt, [l0, l0]);
    const pk = (o: Record<string, unknown>) => rows(buildPolicy({ policy: "nucleus", tolerance: 0.3, sinks: 1, ...o }).select(peak));
    assert.deepEqual(pk({}), [0, 4]);
    assert.deepEqual(pk({ kernel: 3 }), [0, 3, 4, 5]);
    assert.throws(() => buildPolicy({ policy: "nucleus", kernel: 4 }), /kernel = 4: must be odd/);
    // flat: a uniform layer (normalized entropy 1) is kept whole with flat .95, cut without
    const uniform = layer(rt, [Array(8).fill(1), Array(8).fill(1)]);
    assert.equal(rows(buildPolicy({ policy: "nucleus", tolerance: 0.25, sinks: 1, flat: 0.95 }).select(uniform))!.length, 8);
    assert.ok(rows(buildPolicy({ policy: "nucleus", tolerance: 0.25, sinks: 1 }).select(uniform))!.length < 8);
    // ... and the peaked layer is still cut with flat .95
    assert.deepEqual(pk({ flat: 0.95 }), [0, 4]);
    assert.throws(() => buildPolicy({ policy: "nucleus", signal: "max" }), /signal = "max"/);
  });

  it("headwise with alpha 0 ranks every candidate jointly by its normalized score", () => {
    // head 0 candidates sum 20 (row 1: .5, rows 2, 3: .25), head 1 sum 4 (rows 0..3: .25 each)
    const a = [0, 10, 5, 5, 0, 0, 0, 0, 0, 0, 9, 9], b = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 9, 9];
    const sel = rows(buildPolicy({ policy: "headwise", alpha: 0, ...snap, ratio: 0.5 }).select(layer(rt, [a, b]))) as number[][];
    // pool 8: .5 (h0 r1), then the six .25 (h0 r2, r3, h1 r0..r3), then a 0 tie: head 0 row 0
    assert.deepEqual(sel, [[0, 1, 2, 3, 10, 11], [0, 1, 2, 3, 10, 11]]);
  });

  it("headwise over nucleus spends the rows nucleus keeps for the layer across KV heads", () => {
    const a0 = [0, 6, 2, 0, 0, 0, 0, 0], a1 = [0, 1, 1, 1, 1, 1, 1, 0];
    const ctx = layer(rt, [a0, a1]);
    const nuc = { tolerance: 0.2, sinks: 1 };
    // nucleus: s = (a0 + a1) / 2 = [0, 3.5, 1.5, .5, .5, .5, .5, 0], total 7; ranked 1, 2, then
    // the .5 ties newest first 6, 5, 4, 3; evicted mass <= .2 * 7 = 1.4 first with {1, 2, 6, 5}
    // (evicted 1.0): the layer keeps sink 0 + 4 = 5 rows in each head, 10 in all
    assert.deepEqual(rows(buildPolicy({ policy: "nucleus", ...nuc }).select(ctx)), [0, 1, 2, 5, 6]);
    // headwise, alpha .25: k_h = 5 - 1 sink = 4, safeguard floor(1) = row 1 in each head (head 1's
    // ties to the older row); head 0's candidates normalized .75, .25, 0...; head 1's 1/6 for
    // rows 1..6; the joint pool of 2 * 3 = 6: head 0 row 2 (.25), head 1 rows 2..6 (1/6)
    const hw = buildPolicy({ policy: "headwise", scorer: "nucleus", alpha: 0.25, ...nuc });
    assert.equal(hw.adaptive, true, "budget-free like the rule it wraps");
    assert.deepEqual([...hw.exemptLayers], [0], "nucleus's exempt layer");
    const sel = rows(hw.select(ctx)) as number[][];
    assert.deepEqual(sel, [[0, 1, 2], [0, 1, 2, 3, 4, 5, 6]]);
    assert.equal(sel[0].length + sel[1].length, 10, "the rule's budget for the layer, exactly");
    assert.equal(buildPolicy({ policy: "headwise", scorer: "nucleus", tolerance: 0 }).select(ctx), null, "T = 0 keeps everything");
    // perHead nucleus: head 0 alone keeps {1, 2} (evicted 0), head 1 {6, 5, 4, 3, 2} (evicted 1/6 <= .2)
    const ph = rows(buildPolicy({ policy: "nucleus", ...nuc, perHead: true }).select(ctx)) as number[][];
    assert.deepEqual(ph, [[0, 1, 2], [0, 2, 3, 4, 5, 6]]);
    // headwise over it, alpha 1: each head keeps its own budget (3 and 6) from its own scores
    assert.deepEqual(rows(buildPolicy({ policy: "headwise", scorer: "nucleus", perHead: true, alpha: 1, ...nuc }).select(ctx)), [[0, 1, 2], [0, 1, 2, 3, 4, 5]]);
  });

  it("headwise over dbudget spends the rule's newest-first cut by the last query's attention per head", () => {
    // newest first, squares per head: head 0 r7 16, r6 9, r1 1 (base sqrt 26); head 1 r7 9, r5 16,
    // r2 1 (base sqrt 26); prefix r7..r5: sqrt 25 in both, drop (sqrt 26 - 5) / sqrt 26 = .019 <= .05
    // (r7, r6: (4 + 3) / 2 = 3.5, drop .31): the layer keeps sink 0 + rows 5, 6, 7 = 4 per head
    const a0 = [0, 1, 0, 0, 0, 0, 3, 4], a1 = [0, 0, 1, 0, 0, 4, 0, 3];
    const ctx = layer(rt, [a0, a1]);
    const db = { tolerance: 0.05, sinks: 1 };
    assert.deepEqual(rows(buildPolicy({ policy: "dbudget", ...db }).select(ctx)), [0, 5, 6, 7]);
    // headwise, alpha 0: 2 * 3 rows by normalized attention: h0 r7 .5, h1 r5 .5 (tie: head 0 first),
    // h0 r6 .375, h1 r7 .375, h0 r1 .125, h1 r2 .125
    const sel = rows(buildPolicy({ policy: "headwise", scorer: "dbudget", alpha: 0, ...db }).select(ctx));
    assert.deepEqual(sel, [[0, 1, 6, 7], [0, 2, 5, 7]]);
    assert.deepEqual([...buildPolicy({ policy: "headwise", scorer: "dbudget" }).exemptLayers], [0, 1]);
  });

  it("headwise over threshold keeps the protected rows and the rule's count per layer", () => {
    // threshold over SnapKV (window 2 = rows 10, 11 protected), T = 1.5: head 0 keeps rows 0, 1, 2
    // (shares x m = 6, 2, 2 >= 1.5), head 1 (all 1) none: budgets 5 and 2, 7 in all
    const h0 = [6, 2, 2, 0, 0, 0, 0, 0, 0, 0, 5, 5], h1 = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5, 5];
    const ctx = layer(rt, [h0, h1]);
    const th = { window: 2, kernel: 1, tolerance: 1.5, sinks: 0 };
    assert.deepEqual(rows(buildPolicy({ policy: "threshold", ...th }).select(ctx)), [[0, 1, 2, 10, 11], [10, 11]]);
    // alpha 0: a pool of 3 over normalized scores (head 0 .6, .2, .2; head 1 .1 each): head 0's
    // three again. Joint thresholds at one T over heads of equal length are already head-wise.
    const sel = rows(buildPolicy({ policy: "headwise", scorer: "threshold", alpha: 0, ...th }).select(ctx)) as number[][];
    assert.deepEqual(sel, [[0, 1, 2, 10, 11], [10, 11]]);
    // T = .5: head 0 keeps 0, 1, 2 (5 rows), head 1 all 12; a pool of 3 + 10 = 13 over 20
    // candidates: head 0's three (.6, .2, .2) and head 1's ten (.1): every head keeps what it kept
    const half = rows(buildPolicy({ policy: "headwise", scorer: "threshold", alpha: 0, ...th, tolerance: 0.5 }).select(ctx)) as number[][];
    assert.deepEqual(half.map((r) => r.length), [5, 12]);
  });

  it("threshold evicts exactly the rows below T times a uniform share, protects sinks and recent rows", () => {
    const s = [4, 0, 2, 1, 1, 0, 2, 0, 0, 0, 5, 5]; // candidates sum 10 over 10 rows: x = s
    const ctx = layer(rt, [s, s]);
    const t = (kv: Record<string, unknown>) => rows(buildPolicy({ policy: "threshold", scorer: "snapkv", window: 2, kernel: 1, ...kv }).select(ctx)) as number[][];
    assert.deepEqual(t({ tolerance: 0.5, sinks: 0 })[0], [0, 2, 3, 4, 6, 10, 11]);
    assert.deepEqual(t({ tolerance: 1.5, sinks: 0 })[1], [0, 2, 6, 10, 11]);
    assert.deepEqual(t({ tolerance: 10, sinks: 0 })[0], [10, 11]);
    // sinks 4 keep rows 0..3 whatever their score; the shares are then over rows 4..9 (sum 3, 6 rows)
    assert.deepEqual(t({ tolerance: 0.5, sinks: 4 })[0], [0, 1, 2, 3, 4, 6, 10, 11]);
    // recent 5 protects rows 7..11
    assert.deepEqual(t({ tolerance: 0.5, sinks: 0, recent: 5 })[0], [0, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    assert.equal(buildPolicy({ policy: "threshold", tolerance: 0 }).select(ctx), null, "T = 0 keeps everything");
  });

  it("threshold over a layer-wide scorer cuts the layer once; negative scores are shifted first", () => {
    // knorm scores -|k|: norms 1, 2, 3, 6 -> -1, -2, -3, -6 -> shifted 5, 4, 3, 0 (sum 12, x = s/3)
    const keys = [[1, 0, 2, 0, 3, 0, 6, 0]];
    const ctx = layer(rt, [[0, 0, 0, 0]], keys);
    const sel = rows(buildPolicy({ policy: "threshold", scorer: "knorm", tolerance: 1.1, sinks: 0 }).select(ctx)) as number[][];
    assert.deepEqual(sel, [[0, 1]]);
    const tova = rows(buildPolicy({ policy: "threshold", scorer: "tova", tolerance: 1, sinks: 0 }).select(layer(rt, [[1, 3, 0, 0], [1, 3, 0, 0]])));
    assert.deepEqual(tova, [0, 1], "one list for the whole layer");
    assert.deepEqual([...normalizeScores(Float32Array.from([-1, -2, -3, -6]), 0, 4)].map((x) => +x.toFixed(6)), [5 / 12, 4 / 12, 3 / 12, 0].map((x) => +x.toFixed(6)));
    assert.deepEqual([...normalizeScores(new Float32Array(3), 0, 3)], [1 / 3, 1 / 3, 1 / 3], "all zero: uniform");
  });

  it("keydiff keeps the keys least like the head's mean direction, exactly its budget", () => {
    // three keys along x, one along y: anchor (.75, .25); cos .949 for x, .316 for y
    const keys = [[1, 0, 2, 0, 3, 0, 0, 1]];
    const s = keyDiffScores(Float32Array.from(keys[0]), 4, 2);
    assert.ok(Math.abs(s[0] + 0.75 / Math.hypot(0.75, 0.25)) < 1e-6 && Math.abs(s[3] + 0.25 / Math.hypot(0.75, 0.25)) < 1e-6, `${s}`);
    assert.equal(s[0], s[2], "the norm does not matter, only the direction");
    const ctx = layer(rt, [[0, 0, 0, 0]], keys);
    assert.deepEqual(rows(buildPolicy({ policy: "keydiff", budget: 1 }).select(ctx)), [[3]]);
    assert.deepEqual(rows(buildPolicy({ policy: "keydiff", budget: 2 }).select(ctx)), [[0, 3]], "ties to the older row");
    assert.deepEqual(keyDiffScores(new Float32Array(4), 2, 2), new Float32Array(2), "zero keys score 0, not NaN");
  });

  it("criticalkv pins the wrapped score's best rows, then ranks the rest by score times |W_o v|_1", () => {
    // one head, b = 6: window 2 + k = 4 ranked; firstStage .5 pins the 2 best by SnapKV (rows 0, 1);
    // then (s + eps) * vnorm: row 9 (.5 * 100) first, then a tie at 1 among rows 2..8: the older, 2
    const base = [9, 8, 1, 1, 1, 1, 1, 1, 1, 0.5, 5, 5], vn = [1, 1, 1, 1, 1, 1, 1, 1, 1, 100, 1, 1];
    const ctx = layer(rt, [base], undefined, 2, [vn]);
    const crit = (kv: Record<string, unknown>) => rows(buildPolicy({ policy: "criticalkv", ...snap, ...kv }).select(ctx)) as number[][];
    assert.deepEqual(crit({}), [[0, 1, 2, 9, 10, 11]]);
    // firstStage 1: the wrapped policy's own choice
    assert.deepEqual(crit({ firstStage: 1 }), rows(buildPolicy({ policy: "snapkv", window: 2, kernel: 1, ratio: 0.5 }).select(ctx)));
    // firstStage 0: all by the product; row 1's small value norm (8 * .05 = .4) drops it below rows 2, 3
    const vn2 = [...vn]; vn2[1] = 0.05;
    const sel0 = rows(buildPolicy({ policy: "criticalkv", ...snap, firstStage: 0 }).select(layer(rt, [base], undefined, 2, [vn2])));
    assert.deepEqual(sel0, [[0, 2, 3, 9, 10, 11]]);
    // with firstStage .5 row 1 is pinned by its score whatever its value norm
    assert.deepEqual(rows(buildPolicy({ policy: "criticalkv", ...snap }).select(layer(rt, [base], undefined, 2, [vn2]))), [[0, 1, 2, 9, 10, 11]]);
    assert.throws(() => buildPolicy({ policy: "criticalkv", firstStage: 1.5 }), /firstStage = 1.5: must be <= 1/);
  });

  it("expected attention: softmax of k.mu/sqrt(d) + k^T S k/(2d) over the non-sink keys, times |v|", () => {
    // d = 2, one query head, R = I; keys (1,0), (0,1), (2,0), (-1,0); mean (1, 0)
    const keys = Float32Array.from([1, 0, 0, 1, 2, 0, -1, 0]), I = Float64Array.from([1, 0, 0, 1]);
    const mean = Float64Array.from([1, 0]), r2 = Math.SQRT2;
    const softmax = (z: number[]) => { const e = z.map(Math.exp), t = e.reduce((a, b) => a + b, 0); return e.map((x) => x / t); };
    const close = (a: ArrayLike<number>, b: number[]) => b.forEach((x, i) => assert.ok(Math.abs(a[i] - x) < 1e-6, `${Array.from(a)} vs ${b}`));
    close(expectedScores(mean, undefined, I, keys, undefined, 4, 2, 1, 0, 0), softmax([1 / r2, 0, 2 / r2, -1 / r2]));
    // covariance diag(0, 4): + k_y^2 * 4 / 4 = +1 for key (0, 1) only
    const cov = Float64Array.from([0, 0, 0, 4]);
    close(expectedScores(mean, cov, I, keys, undefined, 4, 2, 1, 0, 0), softmax([1 / r2, 1, 2 / r2, -1 / r2]));
    // sink row 0 is left out of the softmax and scores 0; value norms (1, 3, 1, 1) weight the rest
    const vals = Float32Array.from([1, 0, 3, 0, 0, 1, 1, 0]);
    const p = softmax([0, 2 / r2, -1 / r2]);
    close(expectedScores(mean, undefined, I, keys, vals, 4, 2, 1, 1, 0), [0, 3 * p[0], p[1], p[2]]);
    // a rotation R by 90 degrees turns mu to (0, 1): key (0, 1) now has the largest dot product
    const R = Float64Array.from([0, -1, 1, 0]);
    const rot = expectedScores(mean, undefined, R, keys, undefined, 4, 2, 1, 0, 0);
    close(rot, softmax([0, 1 / r2, 0, 0]));
    // two query heads in the group: the mean of their softmaxes
    const two = expectedScores(Float64Array.from([1, 0, 0, 1]), undefined, I, keys, undefined, 4, 2, 2, 0, 0);
    const a = softmax([1 / r2, 0, 2 / r2, -1 / r2]), b = softmax([0, 1 / r2, 0, 0]);
    close(two, a.map((x, i) => (x + b[i]) / 2));
  });

  it("validates options, naming the wrapper or the wrapped policy", () => {
    assert.throws(() => buildPolicy({ policy: "headwise", scorer: "bogus" }), /invalid option scorer = "bogus": expected one of snapkv/);
    assert.throws(() => buildPolicy({ policy: "headwise", scorer: "tova" }), /"headwise": scorer "tova" scores the whole layer/);
    assert.throws(() => buildPolicy({ policy: "headwise", scorer: "nucleus", ratio: 0.5 }), /"nucleus": unknown option "ratio"|"nucleus".*ratio/);
    assert.throws(() => buildPolicy({ policy: "headwise", scorer: "dbudget", tolerance: "x" }), /"dbudget": invalid option tolerance/);
    assert.throws(() => buildPolicy({ policy: "headwise", alpha: 2 }), /"headwise": invalid option alpha = 2: must be <= 1/);
    assert.throws(() => buildPolicy({ policy: "headwise", tolerance: 0.1 }), /"snapkv" has no option "tolerance"/);
    assert.throws(() => buildPolicy({ policy: "headwise", scorer: "knorm", window: 4 }), /"knorm" has no option "window"/);
    assert.throws(() => buildPolicy({ policy: "threshold", ratio: 0.5 }), /"threshold" is budget-free: it has no option "ratio"/);
    assert.throws(() => buildPolicy({ policy: "threshold", recent: -1 }), /recent = -1: must be >= 0/);
    assert.throws(() => buildPolicy({ policy: "keydiff", ratio: 2 }), /ratio = 2: must be <= 1/);
    assert.throws(() => buildPolicy({ policy: "expected-attention", nFuture: 0 }), /"expected-attention": invalid option nFuture = 0: must be >= 1/);
    assert.throws(() => buildPolicy({ policy: "expected-attention", covariance: 1 }), /covariance = 1: expected true or false/);
    assert.equal(buildPolicy({ policy: "expected-attention" }).queries, true, "it asks the window for query statistics");
    assert.equal(buildPolicy({ policy: "snapkv" }).queries, false);
    assert.equal(buildPolicy({ policy: "headwise", scorer: "h2o", window: 4 }).window, 4, "the wrapped policy's window is recorded");
  });
});

const MODEL = "models/stories260K.bin";
const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high. Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do.";

describe("KV wrappers and keydiff on stories260K", { skip: needFiles(MODEL, "models/tok512.bin") }, () => {
  let llm: LLM;
  let n: number;
  before(async () => {
    llm = await LLM.load(sharedPath(MODEL));
    n = llm.tokenize(PROMPT, { addBos: true }).length;
  });
  after(() => llm?.dispose());

  it("headwise + snapkv keeps the layer's budget exactly, split unevenly over the 4 KV heads", async () => {
    const r = await llm.complete(PROMPT, { temperature: 0, maxTokens: 4, kv: { policy: "headwise", ratio: 0.5 } });
    assert.deepEqual(r.kv!.keptPerLayer, Array(5).fill(Math.round(0.5 * n)));
    // per KV head, straight from the store: totals exact, heads unequal somewhere
    const { rt, model } = llm.engine;
    const ids = llm.tokenize(PROMPT, { addBos: true });
    const kvc = new KVController(rt, model, { policy: "headwise", ratio: 0.5 }, n, 1);
    try {
      kvc.run(ids, 0, n);
      const perHead = kvc.store.layers.map((heads) => heads.map((b) => b.n));
      for (const l of perHead) assert.equal(l.reduce((a, b) => a + b, 0), 4 * Math.round(0.5 * n), `${l}`);
      assert.ok(perHead.some((l) => new Set(l).size > 1), `every layer split evenly: ${JSON.stringify(perHead)}`);
    } finally {
      kvc.dispose();
    }
    for (const policy of ["keydiff", "criticalkv"]) {
      const k = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy, budget: 40 } });
      assert.deepEqual(k.kv!.keptPerLayer, Array(5).fill(40), policy);
    }
  });

  it("headwise over nucleus keeps per layer exactly what nucleus keeps, layer 0 whole, split unevenly over KV heads", async () => {
    const { rt, model } = llm.engine;
    const ids = llm.tokenize(PROMPT, { addBos: true });
    const kept = (kv: Record<string, unknown>) => {
      const kvc = new KVController(rt, model, kv, n, 1);
      try {
        kvc.run(ids, 0, n);
        return kvc.store.layers.map((heads) => heads.map((b) => b.n));
      } finally {
        kvc.dispose();
      }
    };
    const plain = kept({ policy: "nucleus", tolerance: 0.05 }), hw = kept({ policy: "headwise", scorer: "nucleus", tolerance: 0.05 });
    assert.deepEqual(hw.map((l) => l.reduce((a, b) => a + b, 0)), plain.map((l) => l.reduce((a, b) => a + b, 0)));
    assert.deepEqual(hw[0], Array(4).fill(n), "layer 0 exempt, as nucleus's");
    assert.ok(plain.slice(1).some((l) => l[0] < n), `nucleus pruned nothing: ${JSON.stringify(plain)}`);
    assert.ok(hw.some((l) => new Set(l).size > 1), `every layer split evenly: ${JSON.stringify(hw)}`);
    const dec = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy: "headwise", scorer: "dbudget", tolerance: 0.05 } });
    assert.deepEqual(dec.kv!.keptPerLayer.slice(0, 2), [n, n], "dbudget's layers 0 and 1 exempt");
  });

  it("values through W_o: the kernel path equals a plain sum over the f32 weights", () => {
    const { rt, model } = llm.engine, cfg = model.cfg;
    const ids = llm.tokenize(PROMPT, { addBos: true });
    const kvc = new KVController(rt, model, { policy: "full" }, n, 1);
    const lin = new Linear(rt, cfg.nHeads * cfg.headDim);
    try {
      kvc.run(ids, 0, n);
      const l = 3, h = 2, b = kvc.store.layers[l][h], hd = cfg.headDim, qDim = cfg.nHeads * hd, nGroup = cfg.nHeads / cfg.nKvHeads;
      const wo = model.w.layers[l].wo;
      assert.equal(wo.dtype, "f32");
      const got = projectedValueL1(rt, lin, wo, b.v.f32(), b.n, h, cfg.nHeads, cfg.nKvHeads, hd);
      const W = wo.f32(), V = b.v.f32();
      for (let i = 0; i < b.n; i += 7) {
        let want = 0;
        for (let g = 0; g < nGroup; g++) {
          const col = (h * nGroup + g) * hd;
          for (let j = 0; j < cfg.dim; j++) { let y = 0; for (let d = 0; d < hd; d++) y += W[j * qDim + col + d] * V[i * hd + d]; want += Math.abs(y) / nGroup; }
        }
        assert.ok(Math.abs(got[i] - want) <= 1e-5 * want + 1e-7, `row ${i}: ${got[i]} vs ${want}`);
      }
    } finally {
      lin.dispose();
      kvc.dispose();
    }
  });

  it("expected attention reads the window's pre-RoPE query statistics and the mean future rotation", async () => {
    const { rt, model } = llm.engine, cfg = model.cfg, d = cfg.headDim, qDim = cfg.nHeads * d;
    const ids = llm.tokenize(PROMPT, { addBos: true });
    const w = 16, kvc = new KVController(rt, model, { policy: "expected-attention", ratio: 0.5, window: w }, n, 1);
    let stats: { mean: Float64Array; cov: Float64Array } | undefined, R: Float64Array | undefined;
    const select = kvc.policy.select;
    (kvc.policy as { select: typeof select }).select = (ctx) => {
      if (ctx.layer === 0) { stats = ctx.queryStats(1); R = ctx.ropeMean(3); }
      return select(ctx);
    };
    try {
      kvc.run(ids, 0, n);
      assert.deepEqual(kvc.report().keptPerLayer, Array(5).fill(Math.round(0.5 * n)));
      // layer 0's queries straight from the weights: q_t = Wq (rmsnorm(emb_t) * attnNorm), t in the last w
      const E = model.w.tokEmbd.f32(), Wq = model.w.layers[0].wq.f32(), g = model.w.layers[0].attnNorm.f32();
      const nGroup = cfg.nHeads / cfg.nKvHeads, want = new Float64Array(nGroup * d);
      for (let t = n - w; t < n; t++) {
        const x = E.subarray(ids[t] * cfg.dim, (ids[t] + 1) * cfg.dim);
        const rms = 1 / Math.sqrt(x.reduce((a, v) => a + v * v, 0) / cfg.dim + cfg.normEps);
        for (let k = 0; k < nGroup * d; k++) {
          const row = (1 * nGroup * d + k) * cfg.dim;
          let q = 0;
          for (let j = 0; j < cfg.dim; j++) q += Wq[row + j] * x[j] * rms * g[j];
          want[k] += q / w;
        }
      }
      for (let k = 0; k < want.length; k++) assert.ok(Math.abs(stats!.mean[k] - want[k]) < 1e-4, `mean[${k}] ${stats!.mean[k]} vs ${want[k]}`);
      for (let i = 0; i < d; i++) assert.ok(stats!.cov[i * d + i] >= -1e-9, "a covariance has a non-negative diagonal");
      assert.equal(qDim, cfg.nHeads * d);
      // R = mean over p = n, n+1, n+2 of the rotation of each pair (llama2.c: adjacent pairs)
      assert.equal(cfg.ropeStyle, "pairs");
      const inv = ropeInvFreq(cfg.ropeDim, cfg.ropeTheta);
      for (let i = 0; i < cfg.ropeDim / 2; i++) {
        let c = 0, s = 0;
        for (let p = n; p < n + 3; p++) { c += Math.cos(p * inv[i]) / 3; s += Math.sin(p * inv[i]) / 3; }
        const a = 2 * i, b = a + 1;
        for (const [got, x] of [[R![a * d + a], c], [R![a * d + b], -s], [R![b * d + a], s], [R![b * d + b], c]]) assert.ok(Math.abs(got - x) < 1e-6, `pair ${i}: ${got} vs ${x}`);
      }
    } finally {
      kvc.dispose();
    }
    assert.deepEqual([...ropeMean(rt, cfg, undefined, 0, 1)], [...Array(d * d)].map((_, k) => (k % (d + 1) === 0 ? 1 : 0)), "position 0 does not rotate");
    const dec = await llm.complete(PROMPT, { temperature: 0, maxTokens: 100, kv: { policy: "expected-attention", budget: 60, window: 32, phase: "both", interval: 32 } });
    assert.deepEqual(dec.kv!.keptPerLayer, Array(5).fill(60), "prunes during decode from the decoded queries' statistics");
    const hw = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy: "headwise", scorer: "expected-attention", ratio: 0.5 } });
    assert.deepEqual(hw.kv!.keptPerLayer, Array(5).fill(Math.round(0.5 * n)));
  });

  it("threshold prunes at prefill and during decode, and T = 0 is the full cache bit for bit", async () => {
    const full = await llm.complete(PROMPT, { temperature: 0, maxTokens: 40 });
    const z = await llm.complete(PROMPT, { temperature: 0, maxTokens: 40, kv: { policy: "threshold", tolerance: 0 } });
    assert.deepEqual(z.tokens, full.tokens);
    assert.equal(z.kv!.keptRatio, 1);
    const p = await llm.complete(PROMPT, { temperature: 0, maxTokens: 1, kv: { policy: "threshold", tolerance: 0.5 } });
    assert.ok(p.kv!.keptRatio < 1 && p.kv!.keptRatio > 0, `kept ${p.kv!.keptRatio}`);
    const d = await llm.complete(PROMPT, { temperature: 0, maxTokens: 100, kv: { policy: "threshold", tolerance: 0.5, phase: "both", interval: 32 } });
    assert.equal(d.kv!.prunes, 1 + Math.floor(99 / 32));
    assert.ok(d.kv!.keptPerLayer.every((k) => k < n + 99), `${d.kv!.keptPerLayer}`);
  });
});
