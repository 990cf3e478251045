// KV policies' cost and payoff: prune time against prefill time, and decode tokens/s with the
// pruned cache against the full one, on a real prompt (stories260K, TinyStories text) and on a
// long prompt through a SmolLM2-135M-shaped model (random weights: speed only, not quality).
// Medians of --runs runs; each policy's first generation is checked to run before timing.
//   node scripts/run-ts.mjs bench/kv.ts [--runs 3] [--json] [--skip-smollm]
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LLM } from "../src/llm.ts";
import type { KVOptions } from "../src/kv/options.ts";
import { textPrompts } from "../src/eval/prompts.ts";
import { SMOLLM2_135M, syntheticGGUF } from "./synthetic.ts";
import { median } from "../src/util/stats.ts";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1] || 3) || 3;
const json = args.includes("--json");
const shared = process.env.BUDGETKV_SHARED ?? join(process.cwd(), "..", "shared");

const POLICIES: [string, KVOptions][] = [
  ["full", { policy: "full" }],
  ["dbudget", { policy: "dbudget" }],
  ["nucleus", { policy: "nucleus" }],
  ["streaming:0.5", { policy: "streaming", ratio: 0.5 }],
  ["snapkv:0.5", { policy: "snapkv", ratio: 0.5 }],
  ["streaming:0.25", { policy: "streaming", ratio: 0.25 }],
];

interface Row { model: string; policy: string; prompt_tokens: number; kept_ratio: number; prefill_ms: number; prune_ms: number; prune_pct_of_prefill: number; decode_tok_s: number; decode_vs_full: number; bytes_kept: number; bytes_full: number }
const rows: Row[] = [];

async function measure(model: string, llm: LLM, prompt: number[], gen: number) {
  let fullDecode = NaN;
  for (const [name, kv] of POLICIES) {
    await llm.complete({ tokens: prompt }, { temperature: 0, maxTokens: 4, kv });
    const res = [];
    for (let r = 0; r < runs; r++) res.push(await llm.complete({ tokens: prompt }, { temperature: 0, maxTokens: gen, kv }));
    const pf = median(res.map((x) => x.stats.prefillMs)), pr = median(res.map((x) => x.kv!.pruneMs));
    const dc = median(res.map((x) => x.stats.decodeTokS));
    if (name === "full") fullDecode = dc;
    const k = res[0].kv!;
    rows.push({ model, policy: name, prompt_tokens: prompt.length, kept_ratio: k.keptRatio, prefill_ms: pf, prune_ms: pr, prune_pct_of_prefill: (100 * pr) / pf, decode_tok_s: dc, decode_vs_full: dc / fullDecode, bytes_kept: k.bytesKept, bytes_full: k.bytesFull });
    if (!json) console.error(`${model} ${name}: kept ${k.keptRatio.toFixed(3)}, prune ${pr.toFixed(2)} ms of prefill ${pf.toFixed(1)} ms, decode ${dc.toFixed(0)} tok/s`);
  }
}

{
  const llm = await LLM.load(join(shared, "models", "stories260K.bin"));
  const text = readFileSync(join(shared, "data", "tinystories_val.txt"), "utf8");
  const [p] = textPrompts(text, llm.tokenizer, 1, 436, 436, 1);
  await measure("stories260K", llm, p.tokens, 64);
  llm.dispose();
}
if (!args.includes("--skip-smollm")) {
  const path = join(mkdtempSync(join(tmpdir(), "budgetkv-kv-")), "smollm.gguf");
  writeFileSync(path, syntheticGGUF(SMOLLM2_135M, "q8_0"));
  const llm = await LLM.load(path, { contextSize: 1100 });
  const prompt = Array.from({ length: 1024 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % 49000)));
  await measure("SmolLM2-135M shape Q8_0, 1024-token prompt", llm, prompt, 16);
  llm.dispose();
}
if (json) console.log(JSON.stringify({ runs, rows }, null, 2));
else console.table(rows.map((r) => ({ model: r.model.slice(0, 28), policy: r.policy, kept: r.kept_ratio.toFixed(3), "prune % of prefill": r.prune_pct_of_prefill.toFixed(2), "decode tok/s": r.decode_tok_s.toFixed(1), "vs full": r.decode_vs_full.toFixed(2), "KV bytes kept/full": `${r.bytes_kept}/${r.bytes_full}` })));
