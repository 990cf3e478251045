// Retrieval prompts (src/eval/prompts.ts) and the needle measure of the evaluation: the fact sits
// at the promised depth, the needle range holds exactly the code's tokens, prompts fit their
// budget, and a policy that evicts the start of the prompt is seen to drop the needle.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LLM } from "../src/llm.ts";
import { retrievalPrompts } from "../src/eval/prompts.ts";
import { Evaluator } from "../src/eval/evaluate.ts";
import { REPO_ROOT, needFiles, sharedPath } from "./helpers/shared.ts";

const MODEL = join(REPO_ROOT, "models", "budgetkv-stories-500k-q8_0.gguf");

describe("retrieval prompts", { skip: needFiles("data/tinystories_val.txt") }, () => {
  let llm: LLM;
  let text: string;
  before(async () => {
    llm = await LLM.load(MODEL);
    text = readFileSync(sharedPath("data", "tinystories_val.txt"), "utf8");
  });
  after(() => llm?.dispose());

  it("fit the budget, mark the code's tokens as the needle, and spread the fact over depths 0..1", () => {
    for (const max of [256, 700, 2039]) {
      const ps = retrievalPrompts(text, llm.tokenizer, 5, max);
      ps.forEach((p, i) => {
        assert.ok(p.tokens.length <= max && p.tokens.length > max - 120, `prompt ${i}: ${p.tokens.length} tokens for a budget of ${max}`);
        assert.ok(p.needle, "our tokenizer keeps the code's tokens apart");
        const [s, e] = p.needle!;
        assert.equal(llm.detokenize(p.tokens.slice(s, e)).trim(), p.answer);
        assert.equal(e - s, 5, "a space and four digits");
        assert.ok(llm.detokenize(p.tokens.slice(0, s)).endsWith("The secret code is"));
        assert.equal(llm.detokenize(p.continuation).trim(), `${p.answer}.`);
        assert.ok(llm.detokenize(p.tokens).endsWith("What is the secret code? The secret code is"));
        // depth (i mod 5) / 4: first prompt's needle right after BOS, last one's just before the question
        if (i === 0) assert.ok(s <= 10, `depth 0: needle at ${s}`);
        if (i === 4) assert.ok(s > p.tokens.length - 40, `depth 1: needle at ${s} of ${p.tokens.length}`);
        if (i === 2) assert.ok(Math.abs(s / p.tokens.length - 0.5) < 0.2, `depth 1/2: needle at ${s} of ${p.tokens.length}`);
      });
    }
  });

  it("reject n < 1 with one clear error", () => {
    assert.throws(() => retrievalPrompts(text, llm.tokenizer, 0, 256), /retrieval needs n >= 1/);
    assert.throws(() => retrievalPrompts(text, llm.tokenizer, 1, 256, -1), /first case must be an integer >= 0/);
  });

  it("cases first .. first+n-1 are the same cases a longer run makes (a run split in parts)", () => {
    const all = retrievalPrompts(text, llm.tokenizer, 5, 400), part = retrievalPrompts(text, llm.tokenizer, 2, 400, 3);
    assert.deepEqual(part.map((p) => [p.tokens.join(), p.answer, p.needle]), all.slice(3).map((p) => [p.tokens.join(), p.answer, p.needle]));
  });

  it("needle_kept is 1 for the full cache and drops when streaming evicts the needle at depth 0", () => {
    const { rt, model } = llm.engine;
    const ev = new Evaluator(rt, model, 4, (ids) => llm.detokenize(ids));
    const ps = retrievalPrompts(text, llm.tokenizer, 1, 400);   // prompt 0: depth 0
    const refs = ps.map((p) => ev.reference(p));
    const full = ev.run({ label: "full", family: "full", adaptive: false, kv: { policy: "full" } }, ps, refs);
    assert.equal(full.needle_kept, 1);
    assert.deepEqual(full.retrieval_found, [full.retrieval_accuracy === 1], "one verdict per case");
    const stream = ev.run({ label: "streaming:0.3", family: "streaming", adaptive: false, param: 0.3, kv: { policy: "streaming", ratio: 0.3 } }, ps, refs);
    assert.ok(stream.kept_ratio < 0.5);
    assert.ok(stream.needle_kept! < 1, `streaming kept ${stream.needle_kept} of the needle`);
  });
});
