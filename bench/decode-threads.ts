// Decode (and prefill) tokens/s at several thread counts and KV types, interleaved repetition by
// repetition, so the ratio of N threads to 1 is taken side by side on a machine whose speed
// drifts. With --base DIR, the same cases also run on another checkout of this repository (e.g.
// a worktree of main, built), interleaved with this one: before and after in one run.
// Each model is loaded once per (tree, thread count) and checked to generate in-vocabulary tokens
// before anything is timed. Prints per case the median tok/s and the median of the per-repetition
// ratios to the first thread count of the same tree.
//   node scripts/run-ts.mjs bench/decode-threads.ts --model PATH[,PATH] [--threads 1,2] [--kv-type f32,q8_0]
//     [--prompt 512] [--gen 64] [--reps 5] [--base DIR] [--json]
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { LLM } from "../src/llm.ts";
import { median } from "../src/util/stats.ts";

const args = process.argv.slice(2);
const flag = (name: string, def?: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const list = (s: string) => s.split(",").filter(Boolean);
const modelPaths = list(flag("--model") ?? "");
if (modelPaths.length === 0) throw new Error("--model PATH[,PATH] is required");
const threadCounts = list(flag("--threads", "1,2")!).map((t) => (t === "auto" ? "auto" : Number(t)));
const kvTypes = list(flag("--kv-type", "f32")!);
const nPrompt = Number(flag("--prompt", "512")), nGen = Number(flag("--gen", "64")), reps = Number(flag("--reps", "5"));
const json = args.includes("--json");

type LLMish = { threads: number; contextSize: number; config: { vocabSize: number }; dispose(): void; complete(p: { tokens: number[] }, o: object): Promise<{ tokens: number[]; stats: { prefillTokS: number; decodeTokS: number } }> };
type LLMClass = { load(path: string, o: object): Promise<LLMish> };
const trees: { name: string; LLM: LLMClass }[] = [{ name: "this", LLM: LLM as unknown as LLMClass }];
const base = flag("--base");
if (base) {
  // the other checkout's LLM, bundled as scripts/run-ts.mjs bundles this one (its kernels built)
  const root = resolve(base), outfile = join(root, ".build", "run", "decode-threads-base.mjs");
  const { sourceImportMetaUrl } = await import(pathToFileURL(join(root, "scripts", "esbuild-source-url.mjs")).href);
  await build({ entryPoints: [join(root, "src", "llm.ts")], outfile, bundle: true, format: "esm", platform: "node", target: "node20", packages: "external", logLevel: "warning", plugins: [sourceImportMetaUrl] });
  trees.unshift({ name: "base", LLM: ((await import(pathToFileURL(outfile).href)) as { LLM: LLMClass }).LLM });
}

interface Case { tree: string; model: string; threads: number | "auto"; ran: number; kv: string; llm: LLMish; prompt: number[]; prefill: number[]; decode: number[] }
interface Row { tree: string; model: string; kv: string; threads: number | "auto"; ran: number; prefill: number; decode: number; decode_ratio: number; prefill_ratio: number; decode_ratios: number[] }
const rows: Row[] = [];

for (const path of modelPaths) {
  if (!existsSync(path)) throw new Error(`${path} is missing`);
  const cases: Case[] = [];
  for (const tree of trees) {
    for (const threads of threadCounts) {
      const llm = await tree.LLM.load(path, { contextSize: nPrompt + nGen + 8, threads });
      const V = llm.config.vocabSize;
      const prompt = Array.from({ length: Math.min(nPrompt, llm.contextSize - nGen - 1) }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (V - 3))));
      for (const kv of kvTypes) {
        const check = await llm.complete({ tokens: prompt }, { temperature: 0, maxTokens: nGen, ignoreEos: true, kv: { type: kv } });
        if (check.tokens.some((t) => t < 0 || t >= V)) throw new Error(`${path}: generated an out-of-vocabulary token`);
        cases.push({ tree: tree.name, model: basename(path), threads, ran: llm.threads, kv, llm, prompt, prefill: [], decode: [] });
      }
    }
  }
  for (let r = 0; r < reps; r++) {
    for (const c of cases) {
      const res = await c.llm.complete({ tokens: c.prompt }, { temperature: 0, maxTokens: nGen, ignoreEos: true, kv: { type: c.kv } });
      c.prefill.push(res.stats.prefillTokS);
      c.decode.push(res.stats.decodeTokS);
    }
  }
  for (const c of cases) {
    const one = cases.find((d) => d.tree === c.tree && d.kv === c.kv && d.threads === threadCounts[0])!;
    const dr = c.decode.map((x, i) => x / one.decode[i]), pr = c.prefill.map((x, i) => x / one.prefill[i]);
    const row: Row = { tree: c.tree, model: c.model, kv: c.kv, threads: c.threads, ran: c.ran, prefill: median(c.prefill), decode: median(c.decode), decode_ratio: median(dr), prefill_ratio: median(pr), decode_ratios: dr };
    rows.push(row);
    if (!json) console.log(`${row.tree.padEnd(4)} ${row.model} kv ${row.kv.padEnd(4)} threads ${String(row.threads).padEnd(4)} (ran ${row.ran}): prefill ${row.prefill.toFixed(1)} tok/s (x${row.prefill_ratio.toFixed(2)}), decode ${row.decode.toFixed(1)} tok/s (x${row.decode_ratio.toFixed(2)}; per rep ${dr.map((x) => x.toFixed(2)).join(" ")})`);
  }
  for (const c of cases) c.llm.dispose();
}
if (json) console.log(JSON.stringify({ prompt: nPrompt, gen: nGen, reps, base: base ?? null, rows }, null, 2));
