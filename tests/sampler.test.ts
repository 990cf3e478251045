import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Sampler } from "../src/generate/sampler.ts";
import { StopMatcher } from "../src/generate/stop.ts";

const L = (...x: number[]) => Float32Array.from(x);

function counts(s: Sampler, logits: Float32Array, n: number): number[] {
  const c = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) c[s.sample(logits, [])]++;
  return c;
}

describe("sampler", () => {
  it("greedy takes the argmax, the lowest id on ties", () => {
    const s = new Sampler(5, { temperature: 0 });
    assert.equal(s.sample(L(1, 3, 3, 2, -1), []), 1);
    assert.equal(s.sample(L(-Infinity, -5, NaN, -6, -5), []), 1);
  });

  it("top-k 1 is greedy at any temperature", () => {
    const s = new Sampler(4, { temperature: 5, topK: 1, topP: 1, minP: 0 });
    for (let i = 0; i < 50; i++) assert.equal(s.sample(L(0.1, 0.3, 0.2, 0.29), []), 1);
  });

  it("samples the softmax at temperature 1 (frequencies within 4 sigma)", () => {
    const logits = L(Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05));
    const s = new Sampler(4, { temperature: 1, topK: 0, topP: 1, minP: 0, seed: 9 });
    const n = 20000, c = counts(s, logits, n);
    [0.5, 0.3, 0.15, 0.05].forEach((p, i) => {
      const sigma = Math.sqrt(n * p * (1 - p));
      assert.ok(Math.abs(c[i] - n * p) < 4 * sigma, `id ${i}: ${c[i]} vs ${n * p}`);
    });
  });

  it("top-p keeps the smallest set reaching p; min-p drops tokens below minP * pmax", () => {
    const logits = L(Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05));
    const tp = counts(new Sampler(4, { temperature: 1, topK: 0, topP: 0.75, minP: 0, seed: 1 }), logits, 3000);
    assert.ok(tp[0] > 0 && tp[1] > 0 && tp[2] === 0 && tp[3] === 0, `top-p ${tp}`);
    const mp = counts(new Sampler(4, { temperature: 1, topK: 0, topP: 1, minP: 0.25, seed: 1 }), logits, 3000);
    assert.ok(mp[0] > 0 && mp[1] > 0 && mp[2] > 0 && mp[3] === 0, `min-p ${mp}`);
  });

  it("is reproducible for a seed and differs across seeds", () => {
    const logits = L(...Array.from({ length: 50 }, (_, i) => Math.sin(i)));
    const run = (seed: number) => { const s = new Sampler(50, { temperature: 1, topK: 0, topP: 1, minP: 0, seed }); return Array.from({ length: 40 }, () => s.sample(logits, [])); };
    assert.deepEqual(run(5), run(5));
    assert.notDeepEqual(run(5), run(6));
  });

  it("the repetition penalty divides positive logits and multiplies negative ones of recent tokens", () => {
    const s = new Sampler(3, { temperature: 0, repeatPenalty: 2, repeatLastN: 2 });
    assert.equal(s.sample(L(3, 2, 0), [0]), 1);          // 3/2 < 2
    assert.equal(s.sample(L(-1, -1.5, -10), [0]), 1);    // -1*2 = -2 < -1.5
    assert.equal(s.sample(L(3, 2, 0), [0, 2, 2]), 0);    // token 0 is outside the last 2
  });

  it("rejects invalid options by name", () => {
    assert.throws(() => new Sampler(3, { topP: 0 }), /invalid option topP = 0/);
    assert.throws(() => new Sampler(3, { topK: -1 }), /invalid option topK = -1/);
    assert.throws(() => new Sampler(3, { minP: 1 }), /invalid option minP = 1/);
    assert.throws(() => new Sampler(3, { temperature: NaN }), /invalid option temperature/);
    assert.throws(() => new Sampler(3, { repeatPenalty: 0 }), /invalid option repeatPenalty = 0/);
    assert.throws(() => new Sampler(3, { seed: 1.5 }), /invalid option seed = 1.5/);
  });
});

describe("stop strings", () => {
  it("holds back a possible prefix, cuts at the stop string", () => {
    const m = new StopMatcher(["\n\n", "THE END"]);
    assert.deepEqual(m.push("Hello\n"), { emit: "Hello", stopped: false });
    assert.deepEqual(m.push("world"), { emit: "\nworld", stopped: false });
    assert.deepEqual(m.push(" THE E"), { emit: " ", stopped: false });
    assert.deepEqual(m.push("ND. More"), { emit: "", stopped: true });
    assert.throws(() => new StopMatcher([""]), /non-empty/);
  });
});
