// The evaluation's answers: where prompts end, the cheapest-setting summary, the long-generation
// mode and calibration (on a fake evaluator whose top-1 is a known function of the tolerance,
// then end to end on stories260K).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LLM } from "../src/llm.ts";
import { main } from "../src/cli/main.ts";
import { textPrompts } from "../src/eval/prompts.ts";
import { cheapest, curveReach } from "../src/eval/summary.ts";
import { calibrate } from "../src/eval/calibrate.ts";
import { parsePolicies } from "../src/cli/eval.ts";
import { tradeoffSvg } from "../src/eval/svg.ts";
import type { Evaluator, PolicyResult, PolicyRun } from "../src/eval/evaluate.ts";
import type { EvalPrompt } from "../src/eval/prompts.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

const point = (name: string, family: string, adaptive: boolean, kept: number, top1: number) =>
  ({ name, family, adaptive, kept_ratio: kept, top1_agreement: top1, greedy_identical: 1 }) as PolicyResult;

describe("cheapest setting with top-1 >= X", () => {
  it("interpolates where each fixed curve reaches the target and picks the least kept ratio", () => {
    const pts = [point("a:0.5", "a", false, 0.5, 0.9), point("a:0.8", "a", false, 0.8, 0.98)];
    const full = point("full", "full", false, 1, 1);
    // 0.98 at 0.8, 1 at 1: 0.99 half way -> 0.9
    assert.ok(Math.abs(curveReach([...pts, full], 0.99) - 0.9) < 1e-12);
    assert.ok(Math.abs(curveReach([...pts, full], 0.94) - 0.65) < 1e-12);
    assert.equal(curveReach(pts, 0.99), NaN, "never reached without the full point");
    assert.equal(curveReach(pts, 0.5), 0.5, "met at the smallest budget");
    const nuc = point("nucleus:0.01", "nucleus", true, 0.7, 0.992), bad = point("dbudget:0.01", "dbudget", true, 0.6, 0.95);
    const c = cheapest([full, ...pts, nuc, bad], 0.99);
    assert.equal(c.best?.name, "nucleus:0.01");
    assert.equal(c.bestAdaptive?.name, "nucleus:0.01");
    assert.ok(Math.abs(c.curves.a - 0.9) < 1e-12);
    assert.equal(cheapest([full, ...pts], 0.99).best, undefined, "the full cache is not a setting");
    assert.deepEqual(Object.keys(cheapest([full, ...pts, point("b:0.5", "b", false, 0.5, 0.9)], 0.99).curves), ["a"], "one budget is no curve");
  });
});

describe("eval --policies with options, and the trade-off SVG", () => {
  it("reads options after '/', marks a wrapper over a budget-free rule adaptive, and names bad input", () => {
    const runs = parsePolicies("snapkv:0.5,0.7,headwise/scorer=nucleus:0.01,0.005,nucleus/perHead=true/window=16/exemptLayers=0+1,nucleus/exemptLayers=1,dbudget/exemptLayers=none:0.001,headwise:0.5");
    assert.deepEqual(runs.map((r) => [r.label, r.family, r.adaptive]), [
      ["full", "full", false], ["snapkv:0.5", "snapkv", false], ["snapkv:0.7", "snapkv", false],
      ["headwise/scorer=nucleus:0.01", "headwise/scorer=nucleus", true], ["headwise/scorer=nucleus:0.005", "headwise/scorer=nucleus", true],
      ["nucleus/perHead=true/window=16/exemptLayers=0+1:0.01", "nucleus/perHead=true/window=16/exemptLayers=0+1", true],
      ["nucleus/exemptLayers=1:0.01", "nucleus/exemptLayers=1", true], ["dbudget/exemptLayers=none:0.001", "dbudget/exemptLayers=none", true],
      ["headwise:0.5", "headwise", false],
    ]);
    assert.deepEqual(runs[3].kv, { policy: "headwise", scorer: "nucleus", tolerance: 0.01 });
    assert.deepEqual(runs[5].kv, { policy: "nucleus", perHead: true, window: 16, exemptLayers: [0, 1], tolerance: 0.01 });
    assert.deepEqual(runs[6].kv.exemptLayers, [1], "one layer for a list option");
    assert.deepEqual(runs[7].kv.exemptLayers, []);
    assert.throws(() => parsePolicies("nucleus/perHead"), /"perHead" is not KEY=VALUE/);
    assert.throws(() => parsePolicies("nucleus/window=0"), /nucleus\/window=0: .*window = 0: must be >= 1/);
    assert.throws(() => parsePolicies("headwise/scorer=bogus:0.5"), /scorer = "bogus"/);
    assert.throws(() => parsePolicies("nucleus/window=4/window=8"), /option window given twice/);
  });

  it("draws every fixed family as a line, every adaptive setting as a labelled point, and the target", () => {
    const svg = tradeoffSvg([point("full", "full", false, 1, 1), point("snapkv:0.5", "snapkv", false, 0.5, 0.95), point("snapkv:0.8", "snapkv", false, 0.8, 0.985),
      point("streaming:0.8", "streaming", false, 0.8, 0.97), point("nucleus:0.01", "nucleus", true, 0.7, 0.992)], "t", 0.99);
    assert.equal(svg.match(/<polyline/g)?.length, 2, "one line per fixed family");
    assert.match(svg, /snapkv \(fixed\)/);
    assert.equal(svg.match(/>nucleus:0.01</g)?.length, 2, "the point's label and its legend entry");
    assert.match(svg, /stroke-dasharray[^>]*\/><text[^>]*>top-1 0.99</);
  });
});

describe("calibration on a fake evaluator", () => {
  // top-1 = 1 - T on the calibration half, 1 - 2T on the held-out half; kept = 1 - T
  const prompts = Array.from({ length: 6 }, (_, i) => ({ tokens: [i], continuation: [0] })) as EvalPrompt[];
  const fake = {
    reference: () => ({}),
    run: (r: PolicyRun, set: EvalPrompt[]) => {
      const t = r.kv.tolerance as number, held = set[0].tokens[0] === 1;
      return { name: r.label, family: r.family, adaptive: true, kept_ratio: 1 - t, top1_agreement: 1 - (held ? 2 : 1) * t, greedy_identical: 1, bytes_saved_mean: 100 * t } as PolicyResult;
    },
  } as unknown as Evaluator;

  it("finds the largest tolerance meeting the target on the calibration half, then checks the held-out half", () => {
    const [c] = calibrate(fake, prompts, { targetTop1: 0.99, policies: ["nucleus"], steps: 12 });
    assert.equal(c.met, true);
    assert.ok(c.tolerance <= 0.01 && c.tolerance > 0.0095, `${c.tolerance}`);
    assert.ok(c.calibration!.top1_agreement >= 0.99);
    assert.equal(c.heldOutMet, false, "held-out top-1 is 1 - 2T < 0.99");
    assert.ok(c.tried.every((x) => x.tolerance > 0));
    const [easy] = calibrate(fake, prompts, { targetTop1: 0.4, policies: ["dbudget"] });
    assert.equal(easy.tolerance, 0.5, "the top of the range already meets it");
    const [never] = calibrate(fake, prompts, { targetTop1: 1, policies: ["dbudget"] });
    assert.equal(never.met, false);
    assert.equal(never.tolerance, 0, "nothing met it: keep everything");
  });

  it("rejects a fixed-budget policy, an unknown one, a target out of range and too few prompts", () => {
    assert.throws(() => calibrate(fake, prompts, { targetTop1: 0.99, policies: ["snapkv"] }), /"snapkv" has a fixed budget/);
    assert.throws(() => calibrate(fake, prompts, { targetTop1: 0.99, policies: ["bogus"] }), /unknown KV policy "bogus"/);
    assert.throws(() => calibrate(fake, prompts, { targetTop1: 1.5 }), /target top-1 1.5 must be in \(0, 1\]/);
    assert.throws(() => calibrate(fake, prompts.slice(0, 1), { targetTop1: 0.9 }), /at least 2 prompts/);
  });
});

const MODEL = "models/stories260K.bin";
const DATA = "data/tinystories_val.txt";

describe("eval prompts, long generation and calibrate on stories260K", { skip: needFiles(MODEL, "models/tok512.bin", DATA) }, () => {
  let llm: LLM;
  let text: string;
  before(async () => {
    llm = await LLM.load(sharedPath(MODEL));
    text = readFileSync(sharedPath(DATA), "utf8");
  });
  after(() => llm?.dispose());
  const cli = async (...argv: string[]) => {
    let out = "", err = "";
    const code = await main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
    return { code, out, err };
  };

  it("prompts end at a sentence end, a paragraph end, or at the token count", () => {
    const tok = llm.tokenizer;
    // what follows the sentence end: white space the prompt's last token holds, then the continuation
    const after = (p: EvalPrompt) => {
      const prompt = tok.decode(p.tokens);
      return /\s*$/.exec(prompt)![0] + tok.decode([...p.tokens, ...p.continuation]).slice(prompt.length);
    };
    for (const p of textPrompts(text, tok, 12, 40, 120, 8, "sentence")) {
      assert.match(tok.decode(p.tokens), /[.!?]["')\u201d\u2019]*\s*$/);
      assert.match(after(p), /^\s/);
      assert.ok(p.tokens.length >= 40 && p.tokens.length <= 120 && p.continuation.length === 8);
    }
    for (const p of textPrompts(text, tok, 6, 40, 200, 8, "paragraph")) assert.match(after(p), /^[^\S\n]*\n/);
    const byCount = textPrompts(text, tok, 5, 40, 120, 8, "token");
    assert.deepEqual(byCount.map((p) => p.tokens.length), [40, 60, 80, 100, 120]);
    assert.throws(() => textPrompts(text, tok, 5, 40, 120, 8, "word" as never), /prompt end "word"/);
  });

  it("--task long compares a long greedy generation under decode-phase pruning; the summary line names the cheapest setting", async () => {
    const r = await cli("eval", "-m", sharedPath(MODEL), "--data", sharedPath(DATA), "--task", "long", "--prompts", "2", "--prompt-tokens", "60-100",
      "--gen-tokens", "64", "--interval", "32", "--policies", "full,streaming:0.5,0.9,nucleus:0.01", "--json");
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.task, "long");
    assert.equal(j.cont_tokens, 64);
    assert.equal(j.interval, 32);
    const full = j.policies[0];
    assert.equal(full.top1_agreement, 1);
    assert.equal(full.greedy_identical, 1, "the full cache reproduces its own generation");
    assert.ok(j.policies[1].kept_ratio < 0.6, `decode-phase pruning holds the budget: ${j.policies[1].kept_ratio}`);
    assert.equal(j.cheapest.target, 0.99);
    const t = await cli("eval", "-m", sharedPath(MODEL), "--data", sharedPath(DATA), "--prompts", "2", "--prompt-tokens", "60-100", "--gen-tokens", "4", "--cont-tokens", "4", "--policies", "full,streaming:0.5,0.9", "--target-top1", "0.5");
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /ending at a sentence end/);
    assert.match(t.out, /cheapest with top-1 >= 0.5: streaming:0.5 kept/);
    const bad = await cli("eval", "-m", sharedPath(MODEL), "--data", sharedPath(DATA), "--prompt-end", "word");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--prompt-end "word": expected sentence, paragraph, token/);
  });

  it("budgetkv calibrate prints, per adaptive policy, a tolerance, its held-out check and the bytes saved", async () => {
    const r = await cli("calibrate", "-m", sharedPath(MODEL), "--data", sharedPath(DATA), "--prompts", "4", "--prompt-tokens", "60-100",
      "--cont-tokens", "8", "--gen-tokens", "8", "--steps", "2", "--target-top1", "0.9", "--policies", "nucleus,threshold", "--json");
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(j.calibrations.map((c: { policy: string }) => c.policy), ["nucleus", "threshold"]);
    for (const c of j.calibrations) {
      if (!c.met) continue;
      assert.ok(c.calibration.top1_agreement >= 0.9, JSON.stringify(c.tried));
      assert.ok(c.heldOut.kept_ratio <= 1 && c.heldOut.bytes_saved_mean >= 0);
      assert.equal(c.heldOutMet, c.heldOut.top1_agreement >= 0.9);
    }
    const bad = await cli("calibrate", "-m", sharedPath(MODEL), "--data", sharedPath(DATA), "--policies", "snapkv", "--prompts", "2", "--prompt-tokens", "60");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /"snapkv" has a fixed budget/);
  });
});
