// What the default kernel build costs or gains: the relaxed SIMD build (the default in Node,
// Deno and Chromium; fused multiply-add) against the plain SIMD128 build (the same bits on every
// CPU and runtime), end to end, in one process, the two builds alternating rep by rep on the
// same prompt. Each build's greedy tokens are checked first (in vocabulary, the asked-for count);
// how many of the two builds' tokens agree is reported (they may part at a near-tie).
// Kernel figures per build: npm run bench (its columns are per build, same run).
// With --llama-quantize PATH (llama.cpp's tool, built by the user) a Q4_K_M file of the same shape
// joins the list (written once into --model-dir, default a fresh temporary directory).
//   node scripts/run-ts.mjs bench/builds.ts [--reps 5] [--prompt 128] [--gen 64] [--only NAME] [--json]
//     [--llama-quantize PATH] [--model-dir DIR]
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LLM } from "../src/llm.ts";
import { SMOLLM2_135M, syntheticGGUF } from "./synthetic.ts";
import { median } from "../src/util/stats.ts";
import { llamaQuantize } from "./llamacpp.ts";

const args = process.argv.slice(2);
const flag = (name: string, def?: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const reps = Number(flag("--reps", "5")), nPrompt = Number(flag("--prompt", "128")), nGen = Number(flag("--gen", "64"));
const json = args.includes("--json"), only = flag("--only");
const shared = process.env.BUDGETKV_SHARED ?? join(process.cwd(), "..", "shared");
const llamaQuant = flag("--llama-quantize");

// the SmolLM2-135M-shaped F32 file quantized to Q4_K_M by llama-quantize (undefined without it)
function q4km(): string | undefined {
  if (!llamaQuant || !existsSync(llamaQuant)) return undefined;
  const dir = flag("--model-dir") ?? mkdtempSync(join(tmpdir(), "budgetkv-bench-"));
  mkdirSync(dir, { recursive: true });
  const f32 = join(dir, "smollm2-135m-shape-f32.gguf");
  if (!existsSync(f32)) writeFileSync(f32, syntheticGGUF(SMOLLM2_135M, "f32"));
  return llamaQuantize(llamaQuant, f32, join(dir, "smollm2-135m-shape-q4_k_m.gguf"), "Q4_K_M");
}

const models: { name: string; source: () => string | Uint8Array | undefined }[] = [
  { name: "stories260K (GGUF F32)", source: () => join(shared, "models", "stories260K.gguf") },
  { name: "TinyStories-656K (GGUF Q8_0)", source: () => join(shared, "models", "tinystories-656k-q8_0.gguf") },
  { name: "SmolLM2-135M shape (F32, random)", source: () => syntheticGGUF(SMOLLM2_135M, "f32") },
  { name: "SmolLM2-135M shape (Q8_0, random)", source: () => syntheticGGUF(SMOLLM2_135M, "q8_0") },
  { name: "SmolLM2-135M shape (Q4_K_M by llama-quantize, random)", source: q4km },
];
const BUILDS = ["relaxed", "simd"] as const;

interface Row { model: string; relaxed_prefill: number; simd_prefill: number; relaxed_decode: number; simd_decode: number; prefill_ratio: number; decode_ratio: number; same_tokens: string }
const rows: Row[] = [];
for (const m of models) {
  if (only && !m.name.toLowerCase().includes(only.toLowerCase())) continue;
  const src = m.source();
  if (src === undefined) { console.error(`skip ${m.name}: no llama-quantize (--llama-quantize PATH)`); continue; }
  if (typeof src === "string" && !existsSync(src)) { console.error(`skip ${m.name}: ${src} is missing`); continue; }
  const llms = await Promise.all(BUILDS.map((build) => LLM.load(src, { build, contextSize: nPrompt + nGen + 8 })));
  try {
    const V = llms[0].config.vocabSize;
    const prompt = { tokens: Array.from({ length: nPrompt }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (V - 3)))) };
    const checks = [];
    for (const llm of llms) {
      const r = await llm.complete(prompt, { temperature: 0, maxTokens: nGen, ignoreEos: true });
      if (r.tokens.length !== nGen || r.tokens.some((t) => t < 0 || t >= V)) throw new Error(`${m.name} (${llm.rt.build}): wrong answer`);
      checks.push(r.tokens);
    }
    let same = 0;
    while (same < nGen && checks[0][same] === checks[1][same]) same++;
    const pf: number[][] = [[], []], dc: number[][] = [[], []];
    for (let r = 0; r < reps; r++) {
      for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
        const res = await llms[i].complete(prompt, { temperature: 0, maxTokens: nGen, ignoreEos: true });
        pf[i].push(res.stats.prefillTokS);
        dc[i].push(res.stats.decodeTokS);
      }
    }
    const row: Row = {
      model: m.name, relaxed_prefill: median(pf[0]), simd_prefill: median(pf[1]), relaxed_decode: median(dc[0]), simd_decode: median(dc[1]),
      prefill_ratio: median(pf[0].map((x, i) => x / pf[1][i])), decode_ratio: median(dc[0].map((x, i) => x / dc[1][i])), same_tokens: `${same}/${nGen}`,
    };
    rows.push(row);
    if (!json) console.error(`${m.name}: relaxed/simd prefill x${row.prefill_ratio.toFixed(2)}, decode x${row.decode_ratio.toFixed(2)}, same greedy tokens ${row.same_tokens}`);
  } finally {
    for (const l of llms) l.dispose();
  }
}
if (json) console.log(JSON.stringify({ prompt_tokens: nPrompt, gen_tokens: nGen, reps, rows }, null, 2));
else console.table(rows.map((r) => ({
  model: r.model, "relaxed prefill": r.relaxed_prefill.toFixed(1), "simd prefill": r.simd_prefill.toFixed(1), "prefill x": r.prefill_ratio.toFixed(2),
  "relaxed decode": r.relaxed_decode.toFixed(1), "simd decode": r.simd_decode.toFixed(1), "decode x": r.decode_ratio.toFixed(2), "same tokens": r.same_tokens,
})));
