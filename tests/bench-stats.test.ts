// The benchmark's kernel / ceiling statistic (bench/stats.ts pairedRatio) and its interleaved
// sampler (bench/timing.ts timePairs).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pairedRatio } from "../bench/stats.ts";
import { timePairs } from "../bench/timing.ts";

describe("pairedRatio", () => {
  it("gives each pair's rate ratio and their median", () => {
    // kernel 10 units, ceiling 20 units; pair rates: 10/1 over 20/1 = 0.5, 10/2 over 20/1 = 0.25, 10/1 over 20/4 = 2
    const p = pairedRatio(10, [1, 2, 1], 20, [1, 1, 4]);
    assert.deepEqual(p.ratios, [0.5, 0.25, 2]);
    assert.equal(p.median, 0.5);
    assert.equal(pairedRatio(1, [1, 1, 1, 1], 1, [1, 2, 3, 4]).median, 2.5); // even count: mean of the middle two
  });

  it("is unmoved by a load that slows both calls of a pair alike; the median over the fastest probe is not", () => {
    // a kernel at 80 % of the ceiling; each pair runs under its own slowdown (1x .. 3x)
    const slow = [1, 2.5, 1.2, 3, 1.8, 2.2, 1.1];
    const kernelMs = slow.map((s) => s * 10 / 0.8), probeMs = slow.map((s) => s * 10);
    assert.ok(Math.abs(pairedRatio(1, kernelMs, 1, probeMs).median - 0.8) < 1e-12);
    const sorted = [...kernelMs].sort((a, b) => a - b);
    const medianVsFastest = (1 / sorted[sorted.length >> 1]) / (1 / Math.min(...probeMs));
    assert.ok(medianVsFastest < 0.5, `median over the fastest probe: ${medianVsFastest}`);
  });

  it("refuses unpaired, empty, zero or non-finite input with a clear error", () => {
    assert.throws(() => pairedRatio(1, [1, 2], 1, [1]), /2 kernel samples but 1 ceiling samples/);
    assert.throws(() => pairedRatio(1, [], 1, []), /no samples/);
    assert.throws(() => pairedRatio(1, [1, 0], 1, [1, 1]), /pair 1 has a time that is not positive/);
    assert.throws(() => pairedRatio(1, [1], 1, [NaN]), /pair 0/);
    assert.throws(() => pairedRatio(0, [1], 1, [1]), /work must be positive/);
  });
});

describe("timePairs", () => {
  it("warms both, then alternates which call of a pair goes first, n pairs", async () => {
    const calls: string[] = [];
    const t = await timePairs(() => calls.push("a"), async () => { calls.push("b"); }, 4, 1);
    assert.deepEqual(calls, ["a", "b", "a", "b", "b", "a", "a", "b", "b", "a"]);
    assert.equal(t.a_ms.length, 4);
    assert.equal(t.b_ms.length, 4);
    for (const ms of [...t.a_ms, ...t.b_ms]) assert.ok(ms >= 0);
  });

  it("times each call on its own side (a slow call shows in its own samples only)", async () => {
    let clock = 0; // a fake clock that only the calls advance: a takes 7 ms, b 3 ms
    const t = await timePairs(() => { clock += 7; }, () => { clock += 3; }, 3, 1, () => clock);
    assert.deepEqual(t.a_ms, [7, 7, 7]);
    assert.deepEqual(t.b_ms, [3, 3, 3]);
  });

  it("refuses a pair count that is not a positive integer", async () => {
    await assert.rejects(timePairs(() => 0, () => 0, 0), /n must be a positive integer, got 0/);
    await assert.rejects(timePairs(() => 0, () => 0, 2.5), /got 2.5/);
  });
});
