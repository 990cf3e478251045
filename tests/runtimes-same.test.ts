// The same models and prompts in Node, Deno and Chromium give the same tokens and bit-identical
// logits: for each kernel build forced (simd, relaxed), for the default build (identical by
// default: "auto" is the same build in all three), and with 2 threads (in Chromium: a worker of
// a cross-origin-isolated page). Node runs dist/budgetkv.mjs in a plain `node` with no flags
// (as a user's program would), Deno runs the sources, Chromium dist/budgetkv.browser.mjs; all
// three run tests/runtimes/run-case.mjs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needFiles, REPO_ROOT, sharedPath } from "./helpers/shared.ts";
import { chromiumSkip, launchBrowser } from "./helpers/chromium.ts";

interface Case { id: string; source: string; prompt: string; maxTokens: number; build: string; threads: number }
interface Result { id: string; build: string; threads: number; tokens: number[]; logitsBits: number[] }

const MODELS = ["stories260K.gguf", "tinystories-656k-q8_0.gguf"];
const PROMPTS = ["Once upon a time, there was a little girl named Lily.", "The cat sat on the mat and"];
// every prompt with the default build; the first prompt also with each build forced and 2 threads
const RUNS: { build: string; threads: number; prompts: number }[] = [
  { build: "auto", threads: 1, prompts: 2 }, { build: "simd", threads: 1, prompts: 1 }, { build: "relaxed", threads: 1, prompts: 1 },
  { build: "auto", threads: 2, prompts: 1 }, { build: "simd", threads: 2, prompts: 1 },
];

function cases(source: (model: string) => string, threads: (t: number) => boolean): Case[] {
  const out: Case[] = [];
  for (const m of MODELS) {
    PROMPTS.forEach((prompt, p) => {
      for (const r of RUNS) {
        if (!threads(r.threads) || p >= r.prompts) continue;
        out.push({ id: `${m} p${p} ${r.build} t${r.threads}`, source: source(m), prompt, maxTokens: 24, build: r.build, threads: r.threads });
      }
    });
  }
  return out;
}

function runChild(cmd: string, args: string[], what: string): Result[] {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: "utf8", timeout: 400_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout);
}

const skip = needFiles(...MODELS.map((m) => `models/${m}`)) || chromiumSkip();

describe("Node, Deno and Chromium give identical tokens and logits", () => {
  it("every model, prompt, build and thread count", { skip, timeout: 900_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "budgetkv-runtimes-"));
    const browser = await launchBrowser();
    try {
      const local = cases((m) => sharedPath("models", m), () => true);
      const file = join(dir, "cases.json");
      writeFileSync(file, JSON.stringify(local));
      const node = runChild(process.execPath, ["tests/runtimes/cli.mjs", "dist/budgetkv.mjs", file], "node");
      const deno = runChild(join(REPO_ROOT, "node_modules", ".bin", "deno"), ["run", "-A", "--no-check", "tests/runtimes/cli.mjs", "src/index.ts", file], "deno");

      const page = await browser.context.newPage();
      await page.goto(`${browser.url}/tests/runtimes/page.html`);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      const caps = await page.evaluate(() => (window as unknown as { capabilities(): { crossOriginIsolated: boolean } }).capabilities());
      assert.equal(caps.crossOriginIsolated, true, "the test page is not cross-origin isolated");
      // relative URLs, resolved as fetch does: against the page (/tests/runtimes/page.html) on its
      // main thread, which runs one thread; against the worker's script in the worker, which runs two
      const here: Result[] = await page.evaluate((c: Case[]) => (window as unknown as { runHere(c: Case[]): Promise<Result[]> }).runHere(c),
        cases((m) => `../../shared/models/${m}`, (t) => t === 1));
      const inWorker: Result[] = await page.evaluate((c: Case[]) => (window as unknown as { runInWorker(c: Case[]): Promise<Result[]> }).runInWorker(c),
        cases((m) => `/shared/models/${m}`, (t) => t > 1));
      const chromium = [...here, ...inWorker];

      const byId = (rs: Result[]) => new Map(rs.map((r) => [r.id, r]));
      const runtimes = { node: byId(node), deno: byId(deno), chromium: byId(chromium) };
      for (const c of local) {
        const n = runtimes.node.get(c.id)!, d = runtimes.deno.get(c.id)!, ch = runtimes.chromium.get(c.id)!;
        for (const [name, r] of [["node", n], ["deno", d], ["chromium", ch]] as const) {
          assert.ok(r, `${name} has no result for ${c.id}`);
          assert.equal(r.threads, c.threads, `${name} ran ${c.id} on ${r.threads} thread(s)`);
          assert.ok(r.tokens.length > 0, `${name} generated nothing for ${c.id}`);
        }
        // identical by default: "auto" picks the same build everywhere
        assert.equal(d.build, n.build, `${c.id}: deno runs the ${d.build} build, node ${n.build}`);
        assert.equal(ch.build, n.build, `${c.id}: chromium runs the ${ch.build} build, node ${n.build}`);
        assert.deepEqual(d.tokens, n.tokens, `${c.id}: deno tokens differ from node's`);
        assert.deepEqual(ch.tokens, n.tokens, `${c.id}: chromium tokens differ from node's`);
        assert.ok(d.logitsBits.every((b, i) => b === n.logitsBits[i]) && d.logitsBits.length === n.logitsBits.length, `${c.id}: deno logits differ from node's`);
        assert.ok(ch.logitsBits.every((b, i) => b === n.logitsBits[i]) && ch.logitsBits.length === n.logitsBits.length, `${c.id}: chromium logits differ from node's`);
      }
      // the default is the relaxed build in all three, so "auto" equals "relaxed" bit for bit
      for (const r of node) if (r.id.includes(" auto ")) assert.equal(r.build, "relaxed", `node's default build is ${r.build}`);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
