// Save and restore in Chromium, Node and Deno: a chat session saved after two turns, restored with
// LLM.restore and continued gives exactly the tokens of never having saved, in every runtime, and
// the same tokens in all three (f32, f16 and Q8_0 KV; a pruning policy, and the random policy,
// whose generator state the file carries). Node runs dist/budgetkv.mjs, Deno the sources,
// Chromium dist/budgetkv.browser.mjs on a page; all run tests/runtimes/run-case.mjs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needFiles, REPO_ROOT, sharedPath } from "./helpers/shared.ts";
import { chromiumSkip, launchBrowser } from "./helpers/chromium.ts";

interface Case { id: string; source: string; kv: Record<string, unknown>; turns: string[]; saveAfter: number; maxTokens: number; build: string }
interface Result { id: string; build: string; kvType: string; never: number[][]; restored: number[][]; savedBytes: number }

const MODEL = "stories260K.gguf";
const TURNS = ["Lily went to the park.", " She saw a big dog.", " The dog", " Then they", " At night"];
const KVS: Record<string, unknown>[] = [
  {}, { type: "f16" }, { type: "q8_0" }, { type: "q8_0", policy: "nucleus", phase: "turn" },
  { policy: "random", ratio: 0.6, phase: "both", interval: 8 }, { type: "q8_0", policy: "random", ratio: 0.7, phase: "turn" },
];

function cases(source: string): Case[] {
  return KVS.map((kv, i) => ({ id: `${MODEL} kv${i} ${JSON.stringify(kv)}`, source, kv, turns: TURNS, saveAfter: 2, maxTokens: 10, build: "auto" }));
}

function runChild(cmd: string, args: string[], what: string): Result[] {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: "utf8", timeout: 400_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout);
}

const skip = needFiles(`models/${MODEL}`) || chromiumSkip();

describe("save and restore in Chromium, Node and Deno", () => {
  it("restore + continue gives the tokens of never saving, the same in all three", { skip, timeout: 900_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "budgetkv-sessions-"));
    const browser = await launchBrowser();
    try {
      const local = cases(sharedPath("models", MODEL));
      const file = join(dir, "cases.json");
      writeFileSync(file, JSON.stringify(local));
      const node = runChild(process.execPath, ["tests/runtimes/cli.mjs", "dist/budgetkv.mjs", file, "sessions"], "node");
      const deno = runChild(join(REPO_ROOT, "node_modules", ".bin", "deno"), ["run", "-A", "--no-check", "tests/runtimes/cli.mjs", "src/index.ts", file, "sessions"], "deno");
      const page = await browser.context.newPage();
      await page.goto(`${browser.url}/tests/runtimes/page.html`);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      const chromium: Result[] = await page.evaluate((c: Case[]) => (window as unknown as { runSessionsHere(c: Case[]): Promise<Result[]> }).runSessionsHere(c),
        cases(`../../shared/models/${MODEL}`));

      const byId = (rs: Result[]) => new Map(rs.map((r) => [r.id, r]));
      const runtimes = { node: byId(node), deno: byId(deno), chromium: byId(chromium) };
      for (const c of local) {
        const n = runtimes.node.get(c.id)!;
        for (const [name, rs] of Object.entries(runtimes)) {
          const r = rs.get(c.id);
          assert.ok(r, `${name} has no result for ${c.id}`);
          assert.equal(r.kvType, (c.kv.type as string | undefined) ?? "f32", `${name} ${c.id}: restored KV type`);
          assert.equal(r.never.length, TURNS.length - c.saveAfter);
          assert.ok(r.never.every((t) => t.length > 0), `${name} ${c.id}: a turn generated nothing`);
          assert.deepEqual(r.restored, r.never, `${name} ${c.id}: restore + continue differs from never saving`);
          assert.equal(r.build, n.build, `${c.id}: ${name} runs the ${r.build} build, node ${n.build}`);
          assert.deepEqual(r.never, n.never, `${c.id}: ${name} tokens differ from node's`);
        }
      }
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
