// End-to-end speed: prefill and decode tokens/s for real small models and a model with the exact
// shape of SmolLM2-135M (random weights, F32 and Q8_0), each checked to generate before timing.
// Medians of --runs runs. With --llama-bench PATH (a llama.cpp llama-bench you built yourself),
// the same GGUF files are measured by llama.cpp in the same run and printed beside ours.
//   node scripts/run-ts.mjs bench/e2e.ts [--runs 3] [--prompt 128] [--gen 64] [--threads 1,2] [--json] [--llama-bench PATH] [--only NAME]
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { LLM } from "../src/llm.ts";
import { SMOLLM2_135M, syntheticGGUF } from "./synthetic.ts";

const args = process.argv.slice(2);
const flag = (name: string, def?: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const runs = Number(flag("--runs", "3")), nPrompt = Number(flag("--prompt", "128")), nGen = Number(flag("--gen", "64"));
const json = args.includes("--json"), llamaBench = flag("--llama-bench"), only = flag("--only");
const threadCounts = (flag("--threads", "1,2") ?? "1").split(",").map(Number);
const shared = process.env.BUDGETKV_SHARED ?? join(process.cwd(), "..", "shared");

interface Row { model: string; threads: number; prefill_tok_s: number; decode_tok_s: number; llamacpp_prefill_tok_s?: number; llamacpp_decode_tok_s?: number; note?: string }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tmp = mkdtempSync(join(tmpdir(), "budgetkv-bench-"));

const models: { name: string; source: () => string | Uint8Array; gguf?: () => string }[] = [
  { name: "stories260K (llama2.c F32)", source: () => join(shared, "models", "stories260K.bin") },
  { name: "stories260K (GGUF F32)", source: () => join(shared, "models", "stories260K.gguf"), gguf: () => join(shared, "models", "stories260K.gguf") },
  { name: "TinyStories-656K (safetensors F32)", source: () => join(shared, "models", "tinystories-656k") },
  { name: "TinyStories-656K (GGUF Q8_0)", source: () => join(shared, "models", "tinystories-656k-q8_0.gguf"), gguf: () => join(shared, "models", "tinystories-656k-q8_0.gguf") },
  ...(["f32", "q8_0"] as const).map((t) => {
    let path: string | undefined;
    const file = () => (path ??= (() => { const p = join(tmp, `smollm2-135m-shape-${t}.gguf`); writeFileSync(p, syntheticGGUF(SMOLLM2_135M, t)); return p; })());
    return { name: `SmolLM2-135M shape (${t.toUpperCase()}, random)`, source: file, gguf: file };
  }),
];

const rows: Row[] = [];
for (const m of models) {
  if (only && !m.name.toLowerCase().includes(only.toLowerCase())) continue;
  const src = m.source();
  if (typeof src === "string" && !existsSync(src)) { console.error(`skip ${m.name}: ${src} is missing`); continue; }
  for (const threads of threadCounts) {
    const llm = await LLM.load(src, { contextSize: Math.max(nPrompt + nGen + 8, 256), threads });
    const V = llm.config.vocabSize;
    const prompt = Array.from({ length: Math.min(nPrompt, llm.contextSize - nGen - 1) }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (V - 3))));
    // the answer first: a greedy run must produce nGen in-vocabulary tokens
    const check = await llm.complete({ tokens: prompt }, { temperature: 0, maxTokens: nGen });
    if (check.tokens.some((t) => t < 0 || t >= V)) throw new Error(`${m.name}: generated an out-of-vocabulary token`);
    const pf: number[] = [], dc: number[] = [];
    for (let r = 0; r < runs; r++) {
      const res = await llm.complete({ tokens: prompt }, { temperature: 0, maxTokens: nGen });
      pf.push(res.stats.prefillTokS);
      dc.push(res.stats.decodeTokS);
    }
    const row: Row = { model: m.name, threads: llm.threads, prefill_tok_s: median(pf), decode_tok_s: median(dc) };
    if (llm.threads !== threads) row.note = `asked for ${threads} threads, ran on ${llm.threads}`;
    if (llamaBench && m.gguf) {
      const out = spawnSync(llamaBench, ["-m", m.gguf(), "-t", String(threads), "-p", String(prompt.length), "-n", String(nGen), "-r", String(runs), "-o", "json"], { encoding: "utf8" });
      try {
        const res = JSON.parse(out.stdout) as { n_prompt: number; n_gen: number; avg_ts: number }[];
        row.llamacpp_prefill_tok_s = res.find((x) => x.n_prompt > 0)?.avg_ts;
        row.llamacpp_decode_tok_s = res.find((x) => x.n_gen > 0)?.avg_ts;
      } catch {
        row.note = `llama-bench failed: ${(out.stderr || out.error?.message || "").split("\n")[0]}`;
      }
    }
    rows.push(row);
    llm.dispose();
    if (!json) console.error(`${m.name}, ${row.threads} thread(s): prefill ${row.prefill_tok_s.toFixed(1)} tok/s, decode ${row.decode_tok_s.toFixed(1)} tok/s`);
  }
}
if (json) console.log(JSON.stringify({ prompt_tokens: nPrompt, gen_tokens: nGen, runs, rows }, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2));
else console.table(rows.map((r) => ({
  model: r.model, threads: r.threads, "prefill tok/s": r.prefill_tok_s.toFixed(1), "decode tok/s": r.decode_tok_s.toFixed(1),
  ...(llamaBench ? { "llama.cpp prefill": r.llamacpp_prefill_tok_s?.toFixed(1) ?? "-", "llama.cpp decode": r.llamacpp_decode_tok_s?.toFixed(1) ?? "-" } : {}),
})));
