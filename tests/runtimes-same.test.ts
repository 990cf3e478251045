// The same models and prompts in Node, Deno and Chromium give the same tokens and bit-identical
// logits: for each kernel build forced (simd, relaxed), for the default build (identical by
// default: "auto" is the same build in all three), and with 2 threads (in Chromium: a worker of
// a cross-origin-isolated page). Node runs dist/budgetkv.mjs in a plain `node` with no flags
// (as a user's program would), Deno runs the sources, Chromium dist/budgetkv.browser.mjs; all
// three run tests/runtimes/run-case.mjs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturePath, needFiles, REPO_ROOT, sharedPath } from "./helpers/shared.ts";
import { chromiumSkip, launchBrowser } from "./helpers/chromium.ts";

interface Case { id: string; source: string; tokenizer?: string; prompt: string; maxTokens: number; build: string; threads: number }
interface Result { id: string; build: string; threads: number; tokens: number[]; logitsBits: number[] }

// The golden prompts: every greedy case of the fixtures that an independent implementation
// produced (tests/fixtures: llama.cpp, llama2.c run.c), with the ids it generated. Each runs with
// the default build at 1 and 2 threads in every runtime; the first prompt of each model also with
// each build forced. Every runtime must give the same tokens and logit bits, and the golden ids.
interface Golden { model: string; tokenizer?: string; where: "shared" | "repo"; prompt: string; expect?: number[]; note: string }
const GEN = 40; // tokens compared per case (the goldens hold 48 to 256)

function goldens(): Golden[] {
  const fx = (name: string) => JSON.parse(readFileSync(fixturePath(name), "utf8"));
  const out: Golden[] = [];
  const cpp = fx("llamacpp-greedy.json");
  for (const c of cpp.stories260K.cases) if (c.tool === "llama-simple") out.push({ model: "stories260K.gguf", where: "shared", prompt: c.prompt, expect: c.generated_ids, note: "llama.cpp" });
  for (const c of cpp.tinystories656k_q8_0.cases) if (c.tool === "llama-simple") out.push({ model: "tinystories-656k-q8_0.gguf", where: "shared", prompt: c.prompt, expect: c.generated_ids, note: "llama.cpp" });
  // run.c's -n counts the prompt's positions; its generated ids are the continuation
  for (const c of fx("llama2c-stories260k.json").cases) out.push({ model: "stories260K.bin", tokenizer: "tok512.bin", where: "shared", prompt: c.prompt, expect: c.generated_ids, note: "llama2.c" });
  for (const c of fx("llama2c-babyllama-tok105.json").cases) out.push({ model: "babyllama-tok105/model5000.bin", tokenizer: "babyllama-tok105/tok105.bin", where: "shared", prompt: c.prompt, expect: c.generated_ids, note: "llama2.c" });
  // our own model (in the repository): F32 equals llama.cpp's 48 ids on every prompt; Q8_0 parts
  // from llama.cpp at a near tie on one prompt (tests/default-model.test.ts), so there the
  // runtimes are compared with each other only
  for (const [m, v] of Object.entries(fx("llamacpp-own-model.json").models as Record<string, { cases: { prompt: string; generated_ids: number[] }[] }>)) {
    for (const c of v.cases) out.push({ model: m, where: "repo", prompt: c.prompt, expect: m.includes("f32") ? c.generated_ids : undefined, note: "llama.cpp" });
  }
  return out;
}

const RUNS: { build: string; threads: number; firstOnly: boolean }[] = [
  { build: "auto", threads: 1, firstOnly: false }, { build: "auto", threads: 2, firstOnly: false },
  { build: "simd", threads: 1, firstOnly: true }, { build: "relaxed", threads: 1, firstOnly: true }, { build: "simd", threads: 2, firstOnly: true },
];

// path: where a runtime opens a model file (shared/models/... or the repository's models/...)
function cases(path: (g: Golden, file: string) => string, threads: (t: number) => boolean): Case[] {
  const out: Case[] = [];
  const seen = new Set<string>();
  goldens().forEach((g, i) => {
    const first = !seen.has(g.model);
    seen.add(g.model);
    for (const r of RUNS) {
      if (!threads(r.threads) || (r.firstOnly && !first)) continue;
      out.push({
        id: `${g.model} #${i} ${r.build} t${r.threads}`, source: path(g, g.model), tokenizer: g.tokenizer && path(g, g.tokenizer),
        prompt: g.prompt, maxTokens: GEN, build: r.build, threads: r.threads,
      });
    }
  });
  return out;
}

function runChild(cmd: string, args: string[], what: string): Result[] {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: "utf8", timeout: 400_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout);
}

const skip = needFiles(...[...new Set(goldens().filter((g) => g.where === "shared").flatMap((g) => [g.model, g.tokenizer ?? g.model]))].map((m) => `models/${m}`)) || chromiumSkip();

describe("Node, Deno and Chromium give identical tokens and logits", () => {
  it("every golden prompt at 1 and 2 threads, each build forced on one prompt per model", { skip, timeout: 900_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "budgetkv-runtimes-"));
    const browser = await launchBrowser();
    try {
      const local = cases((g, f) => g.where === "shared" ? sharedPath("models", f) : join(REPO_ROOT, "models", f), () => true);
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
        cases((g, f) => g.where === "shared" ? `../../shared/models/${f}` : `../../models/${f}`, (t) => t === 1));
      const inWorker: Result[] = await page.evaluate((c: Case[]) => (window as unknown as { runInWorker(c: Case[]): Promise<Result[]> }).runInWorker(c),
        cases((g, f) => g.where === "shared" ? `/shared/models/${f}` : `/models/${f}`, (t) => t > 1));
      const chromium = [...here, ...inWorker];

      const byId = (rs: Result[]) => new Map(rs.map((r) => [r.id, r]));
      const golden = goldens();
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
        const g = golden[Number(c.id.split("#")[1].split(" ")[0])];
        if (g.expect) assert.deepEqual(n.tokens, g.expect.slice(0, c.maxTokens), `${c.id}: tokens differ from ${g.note}'s`);
      }
      // the default is the relaxed build in all three, so "auto" equals "relaxed" bit for bit
      for (const r of node) if (r.id.includes(" auto ")) assert.equal(r.build, "relaxed", `node's default build is ${r.build}`);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
