// budgetkv beside @wllama/wllama (llama.cpp in WebAssembly, from npm) in one headless Chromium
// (Debian's /usr/bin/chromium), on the same GGUF files: stories260K, TinyStories-656K Q8_0 and
// the SmolLM2-135M-shaped F32 and Q8_0 files of bench/synthetic.ts. Per file and thread count,
// web/bench.html loads both engines, checks each one's answer, then runs the same 128-token
// prompt and 64 greedy tokens (ignoring EOS) `--reps` times each, alternating which engine
// goes first; the table gives medians and the ratios budgetkv / wllama. The page is
// cross-origin isolated, so both engines can run threads.
//   npm run bench:browser [-- --reps 5] [-- --threads 1,2] [-- --only NAME] [-- --json]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { SMOLLM2_135M, syntheticGGUF } from "./synthetic.ts";

const args = process.argv.slice(2);
const flag = (name: string, def?: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const reps = Number(flag("--reps", "5")), nPrompt = Number(flag("--prompt", "128")), nGen = Number(flag("--gen", "64"));
const threadCounts = (flag("--threads", "1,2") ?? "1").split(",").map(Number);
const json = args.includes("--json"), only = flag("--only");
const root = process.cwd();
if (!existsSync(join(root, "package.json")) || !existsSync(join(root, "web", "bench.html"))) throw new Error("bench:browser: run it from the repository root (npm run bench:browser)");
const shared = process.env.BUDGETKV_SHARED ?? resolve(root, "..", "shared");
const chromiumPath = process.env.BUDGETKV_CHROMIUM ?? "/usr/bin/chromium";
const log = (s: string) => console.error(s); // progress on stderr; the table or --json on stdout

const script = (name: string) => import(pathToFileURL(join(root, "scripts", name)).href);

interface EngineResult { threads?: number; note?: string; error?: string; prefill: number; decode: number; prefillRuns: number[]; decodeRuns: number[] }
interface CaseResult { url: string; threads: number; agreeChars?: number; genChars?: number; budgetkv: EngineResult; wllama: EngineResult }

const tmp = mkdtempSync(join(tmpdir(), "budgetkv-bench-browser-"));
const models: { name: string; file: () => string; vocab: number }[] = [
  { name: "stories260K (F32)", file: () => join(shared, "models", "stories260K.gguf"), vocab: 512 },
  { name: "TinyStories-656K (Q8_0)", file: () => join(shared, "models", "tinystories-656k-q8_0.gguf"), vocab: 2048 },
  ...(["f32", "q8_0"] as const).map((t) => ({
    name: `SmolLM2-135M shape (${t.toUpperCase()}, random)`, vocab: SMOLLM2_135M.vocab,
    file: () => { const p = join(tmp, `smollm2-135m-shape-${t}.gguf`); if (!existsSync(p)) writeFileSync(p, syntheticGGUF(SMOLLM2_135M, t)); return p; },
  })),
];

if (!existsSync(chromiumPath)) { console.error(`bench:browser: ${chromiumPath} is missing (apt-get install -y chromium)`); process.exit(1); }
const { buildBrowserBundle } = await script("build-browser.mjs");
await buildBrowserBundle();
const { startServer, defaultMounts } = await script("serve.mjs");
const server = await startServer({ port: 0, mounts: { ...defaultMounts(), "/bench-models/": tmp } });
const { chromium } = await import("playwright-core");
const profile = mkdtempSync(join(tmpdir(), "budgetkv-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath, headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
});
const rows: (CaseResult & { model: string })[] = [];
try {
  const page = await context.newPage();
  page.on("pageerror", (e: Error) => log(`page error: ${e.message}`));
  await page.goto(`${server.url}/web/bench.html`);
  await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true);
  const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
  log(`chromium ${context.browser()?.version() ?? ""} ${isolated ? "cross-origin isolated" : "NOT isolated"}; ${reps} reps, prompt ${nPrompt}, gen ${nGen}`);
  for (const m of models) {
    if (only && !m.name.toLowerCase().includes(only.toLowerCase())) continue;
    const path = m.file();
    if (!existsSync(path)) { log(`skip ${m.name}: ${path} is missing`); continue; }
    const url = path.startsWith(tmp) ? `/bench-models/${path.slice(tmp.length + 1)}` : `/shared/models/${path.split("/").pop()}`;
    for (const threads of threadCounts) {
      const r: CaseResult = await page.evaluate((c: object) => (window as unknown as { benchCase(c: object): Promise<CaseResult> }).benchCase(c),
        { url, threads, reps, nPrompt, nGen });
      rows.push({ model: m.name, ...r });
      const f = (e: EngineResult) => (e.error ? `error: ${e.error}` : `prefill ${e.prefill.toFixed(1)}, decode ${e.decode.toFixed(1)} tok/s (${e.threads} thr, ${e.note})`);
      log(`${m.name}, ${threads} thread(s): budgetkv ${f(r.budgetkv)}; wllama ${f(r.wllama)}`);
    }
  }
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
}

const ratio = (a: EngineResult, b: EngineResult, k: "prefill" | "decode") => (a.error || b.error ? undefined : a[k] / b[k]);
if (json) {
  console.log(JSON.stringify({ prompt_tokens: nPrompt, gen_tokens: nGen, reps, rows: rows.map((r) => ({ ...r, prefill_ratio: ratio(r.budgetkv, r.wllama, "prefill"), decode_ratio: ratio(r.budgetkv, r.wllama, "decode") })) },
    (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2));
} else {
  const cell = (e: EngineResult, k: "prefill" | "decode") => (e.error ? "-" : e[k].toFixed(1));
  console.table(rows.map((r) => ({
    model: r.model, threads: r.threads,
    "budgetkv prefill": cell(r.budgetkv, "prefill"), "wllama prefill": cell(r.wllama, "prefill"), "prefill x": ratio(r.budgetkv, r.wllama, "prefill")?.toFixed(2) ?? "-",
    "budgetkv decode": cell(r.budgetkv, "decode"), "wllama decode": cell(r.wllama, "decode"), "decode x": ratio(r.budgetkv, r.wllama, "decode")?.toFixed(2) ?? "-",
    "same greedy text": r.agreeChars !== undefined ? `${r.agreeChars}/${r.genChars} chars` : "-",
    note: [r.budgetkv.error && `budgetkv: ${r.budgetkv.error}`, r.wllama.error && `wllama: ${r.wllama.error}`,
      r.budgetkv.threads !== r.threads && `budgetkv ran ${r.budgetkv.threads} thr`, r.wllama.threads !== undefined && r.wllama.threads !== r.threads && `wllama ran ${r.wllama.threads} thr`].filter(Boolean).join("; "),
  })));
}
