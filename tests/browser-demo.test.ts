// The demo page (web/) in headless Chromium: it loads each test model from the server, generates
// greedily in its worker (2 threads asked for, and run: the server makes the page cross-origin isolated) and shows
// the same tokens and text as Node, a chart with one bar per layer that matches the KV cache,
// and the KV bytes saved that Node measures; Stop ends a generation within one token; without
// isolation (?coi=0) it runs on one thread with the same tokens. Screenshots go to
// artifacts/browser/ (not committed).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { LLM } from "../src/llm.ts";
import type { KVOptions } from "../src/kv/options.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { ARTIFACTS, chromiumSkip, launchBrowser, type Browser } from "./helpers/chromium.ts";

const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";
const MAX_TOKENS = 64;

// the page's options and the same KV options for Node
// (TinyStories-656K ends the long prompt's story at once, so it gets a short one)
const CASES: { model: string; prompt: string; policy: string; ui: Record<string, string>; kv: KVOptions }[] = [
  { model: "stories260K.gguf", prompt: PROMPT, policy: "dbudget", ui: { "#tolerance": "0.02" }, kv: { policy: "dbudget", tolerance: 0.02, phase: "both", interval: 32 } },
  { model: "tinystories-656k-q8_0.gguf", prompt: "Once upon a time", policy: "snapkv", ui: { "#ratio": "0.5" }, kv: { policy: "snapkv", ratio: 0.5, phase: "both", interval: 32 } },
];

interface PageRun { tokens: number[]; text: string; finish: string; kv: Record<string, unknown>; afterStop?: number; threads: number; bars: { kept: number; full: number }[]; seen: number; saved: number }

// deno-lint-ignore no-explicit-any
async function loadModel(page: any, model: string): Promise<number> {
  await page.waitForSelector("#caps:not([data-state=pending])");
  await page.waitForFunction(() => document.getElementById("model-select")!.dataset.count !== undefined);
  await page.selectOption("#model-select", `/shared/models/${model}`);
  // 2 threads asked for explicitly: "auto" runs models this small on one (2 threads lose there);
  // without isolation the worker still runs one
  await page.selectOption("#threads", "2");
  await page.click("#load");
  await page.waitForSelector("#model-info[data-state=loaded], #model-info[data-state=error]", { timeout: 300_000 });
  assert.equal(await page.getAttribute("#model-info", "data-state"), "loaded", await page.textContent("#output"));
  return Number(await page.getAttribute("#model-info", "data-threads"));
}

// deno-lint-ignore no-explicit-any
async function generate(page: any, policy: string, ui: Record<string, string>, maxTokens: number, stopAfter?: number, prompt = PROMPT): Promise<Omit<PageRun, "threads">> {
  await page.fill("#prompt", prompt);
  await page.selectOption("#policy", policy);
  for (const [sel, v] of Object.entries(ui)) await page.fill(sel, v);
  if (policy !== "full") await page.selectOption("#phase", "both");
  await page.fill("#max-tokens", String(maxTokens));
  await page.fill("#temperature", "0");
  await page.click("#generate");
  if (stopAfter !== undefined) {
    await page.waitForFunction((n: number) => Number(document.getElementById("chart")!.dataset.seen) > n, stopAfter, { timeout: 300_000 });
    await page.click("#stop");
  }
  await page.waitForSelector("#output[data-state=done], #output[data-state=stopped], #output[data-state=error]", { timeout: 400_000 });
  return page.evaluate(() => {
    const out = document.getElementById("output")!;
    const bars = [...document.querySelectorAll("#chart rect.kept")].map((r) => ({ kept: Number(r.getAttribute("data-kept")), full: Number(r.getAttribute("data-full")) }));
    return {
      tokens: JSON.parse(out.dataset.tokens ?? "[]"), text: out.textContent ?? "", finish: out.dataset.finish ?? out.dataset.state ?? "",
      kv: JSON.parse(out.dataset.kv ?? "null"), afterStop: out.dataset.afterStop === undefined ? undefined : Number(out.dataset.afterStop),
      bars, seen: Number(document.getElementById("chart")!.dataset.seen), saved: Number(document.getElementById("kv-saved")!.dataset.bytes),
    };
  });
}

async function inNode(model: string, prompt: string, kv: KVOptions, maxTokens: number) {
  const llm = await LLM.load(sharedPath("models", model), { contextSize: 512 });
  try {
    const c = llm.config;
    return { ...(await llm.complete(prompt, { temperature: 0, maxTokens, kv })), nLayers: c.nLayers, nKvHeads: c.nKvHeads, headDim: c.headDim };
  } finally {
    llm.dispose();
  }
}

const skip = needFiles(...CASES.map((c) => `models/${c.model}`)) || chromiumSkip();

describe("demo page in Chromium", { skip }, () => {
  let browser: Browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  it("generates what Node generates, with the chart and KV figures of the same cache", { timeout: 600_000 }, async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const c of CASES) {
      const page = await browser.context.newPage();
      try {
        await page.goto(`${browser.url}/web/`);
        const threads = await loadModel(page, c.model);
        assert.equal(threads, 2, "the isolated demo page's worker did not run 2 threads");
        const got = await generate(page, c.policy, c.ui, MAX_TOKENS, undefined, c.prompt);
        await page.screenshot({ path: join(ARTIFACTS, `demo-${c.model.replace(/\.gguf$/, "")}.png`), fullPage: true });
        const want = await inNode(c.model, c.prompt, c.kv, MAX_TOKENS);
        assert.ok(want.tokens.length >= 32, `${c.model}: the story ended after ${want.tokens.length} tokens`);
        assert.equal(got.finish, want.finishReason);
        assert.deepEqual(got.tokens, want.tokens, `${c.model}: the page's tokens differ from Node's`);
        assert.equal(got.text, want.text, `${c.model}: the page's text differs from Node's`);
        // the chart: one bar per layer, drawn at the last step (after the last token's forward pass)
        // (at EOS the last token's forward pass ran; at the length limit it did not)
        const seen = want.promptTokens.length + want.tokens.length - (want.finishReason === "length" ? 1 : 0);
        assert.equal(got.bars.length, want.nLayers);
        assert.equal(got.seen, seen);
        for (const b of got.bars) assert.ok(b.full === seen && b.kept > 0 && b.kept <= seen, `bar ${JSON.stringify(b)} of ${seen}`);
        assert.ok(got.bars.some((b) => b.kept < seen), `${c.model}: ${c.policy} pruned nothing`);
        // the KV figures are the ones Node measures on the same cache
        const { pruneMs: _a, ...pageKv } = got.kv as { pruneMs: number };
        const { pruneMs: _b, ...nodeKv } = want.kv!;
        assert.deepEqual(pageKv, nodeKv);
        // bytes saved: the rows not kept, against a full cache of the same length
        const rowBytes = want.nKvHeads * (want.headDim * 8 + 4);
        assert.equal(got.saved, got.bars.reduce((a, b) => a + (seen - b.kept), 0) * rowBytes);
        assert.ok(got.saved > 0);
      } finally {
        await page.close();
      }
    }
  });

  it("Stop ends a generation within one token", { timeout: 400_000 }, async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${browser.url}/web/`);
      await loadModel(page, CASES[1].model);
      // a prompt TinyStories-656K continues for longer than 400 tokens; Stop once 8 are out
      const got = await generate(page, "full", {}, 400, 12, "Once upon a time");
      assert.equal(got.finish, "abort");
      assert.ok(got.afterStop !== undefined && got.afterStop <= 1, `${got.afterStop} tokens after Stop`);
      assert.ok(got.tokens.length < 400);
    } finally {
      await page.close();
    }
  });

  it("without cross-origin isolation: one thread, the same tokens", { timeout: 400_000 }, async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${browser.url}/web/?coi=0`);
      await page.waitForSelector("#caps:not([data-state=pending])");
      assert.equal(await page.getAttribute("#caps", "data-threads"), "1");
      assert.equal(await loadModel(page, CASES[0].model), 1);
      const got = await generate(page, CASES[0].policy, CASES[0].ui, 32, undefined, CASES[0].prompt);
      const want = await inNode(CASES[0].model, CASES[0].prompt, CASES[0].kv, 32);
      assert.deepEqual(got.tokens, want.tokens);
    } finally {
      await page.close();
    }
  });
});
