// End-to-end speed: prefill and decode tokens/s for real small models and models with the exact
// shape of SmolLM2-135M (random weights: F32, Q8_0, and Q4_K_M made by llama-quantize), each
// checked to generate before timing. With --llama-bench PATH (a llama.cpp llama-bench you built
// yourself), llama.cpp runs the same GGUF files in the same run, interleaved repetition by
// repetition (ours, llama.cpp -mmp 0, llama.cpp mmap on, ours, ...), because this machine's memory
// bandwidth drifts between runs and only ratios taken side by side mean anything. -mmp 0 (weights
// copied into memory) is the fair anchor: our weights live in WASM memory. Each row reports the
// medians and the median of the per-repetition ratios ours / llama.cpp -mmp 0.
// llama-bench's tg test decodes from an empty context; ours is timed both ways each repetition:
// after the prompt (decode) and from a one-token prompt (decode0, llama-bench's tg), and the
// ratio to llama.cpp's tg is given for both (decode0 is the like-for-like one). llama.cpp -mmp 0
// also runs its pg test (the prompt, then the generated tokens), from which llamacpp.ts derives
// its decode rate after the prompt (decode_after): the like-for-like peer of our decode.
//   node scripts/run-ts.mjs bench/e2e.ts [--reps 3] [--prompt 128,512] [--gen 64] [--threads 1,2]
//     [--llama-bench PATH] [--llama-quantize PATH] [--model-dir DIR] [--only NAME] [--json]
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { LLM } from "../src/llm.ts";
import { SMOLLM2_135M, syntheticGGUF } from "./synthetic.ts";
import { llamaBenchRep, llamaQuantize, type LlamaRep } from "./llamacpp.ts";
import { median } from "../src/util/stats.ts";

const args = process.argv.slice(2);
const flag = (name: string, def?: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const list = (s: string) => s.split(",").map(Number);
const reps = Number(flag("--reps", flag("--runs", "3"))), nGen = Number(flag("--gen", "64"));
const prompts = list(flag("--prompt", "128")!), threadCounts = list(flag("--threads", "1,2")!);
const json = args.includes("--json"), llamaBench = flag("--llama-bench"), only = flag("--only");
const llamaQuant = flag("--llama-quantize", llamaBench ? join(dirname(llamaBench), "llama-quantize") : undefined);
const shared = process.env.BUDGETKV_SHARED ?? join(process.cwd(), "..", "shared");
const modelDir = flag("--model-dir") ?? mkdtempSync(join(tmpdir(), "budgetkv-bench-"));
mkdirSync(modelDir, { recursive: true });

interface Side { prefill: number[]; decode: number[]; decode0?: number[]; decodeAfter?: number[] }
interface Row {
  model: string; threads: number; prompt: number; gen: number;
  ours: Side; llamacpp_mmp0?: Side; llamacpp_mmap?: Side;
  median: { ours_prefill: number; ours_decode: number; ours_decode0: number; llamacpp_mmp0_prefill?: number; llamacpp_mmp0_decode?: number; llamacpp_mmp0_decode_after?: number; llamacpp_mmap_prefill?: number; llamacpp_mmap_decode?: number };
  ratio?: { prefill: number[]; decode: number[]; decode0: number[]; prefill_median: number; decode_median: number; decode0_median: number;
            decode_after?: number[]; decode_after_median?: number };
  note?: string;
}


// a synthetic SmolLM2-135M-shaped file, written once into modelDir (the same seed gives the same bytes)
function synthetic(t: "f32" | "q8_0"): string {
  const p = join(modelDir, `smollm2-135m-shape-${t}.gguf`);
  if (!existsSync(p)) writeFileSync(p, syntheticGGUF(SMOLLM2_135M, t));
  return p;
}

const models: { name: string; path: () => string | undefined; gguf: boolean }[] = [
  { name: "stories260K (llama2.c F32)", path: () => join(shared, "models", "stories260K.bin"), gguf: false },
  { name: "stories260K (GGUF F32)", path: () => join(shared, "models", "stories260K.gguf"), gguf: true },
  { name: "TinyStories-656K (safetensors F32)", path: () => join(shared, "models", "tinystories-656k"), gguf: false },
  { name: "TinyStories-656K (GGUF Q8_0)", path: () => join(shared, "models", "tinystories-656k-q8_0.gguf"), gguf: true },
  { name: "SmolLM2-135M shape (F32, random)", path: () => synthetic("f32"), gguf: true },
  { name: "SmolLM2-135M shape (Q8_0, random)", path: () => synthetic("q8_0"), gguf: true },
  {
    name: "SmolLM2-135M shape (Q4_K_M by llama-quantize, random)", gguf: true,
    path: () => (llamaQuant && existsSync(llamaQuant) ? llamaQuantize(llamaQuant, synthetic("f32"), join(modelDir, "smollm2-135m-shape-q4_k_m.gguf"), "Q4_K_M") : undefined),
  },
];

function push(s: Side | undefined, r: LlamaRep): string | undefined {
  if (r.error || r.prefill_tok_s === undefined || r.decode_tok_s === undefined) return r.error ?? "llama-bench gave no pp/tg result";
  s!.prefill.push(r.prefill_tok_s); s!.decode.push(r.decode_tok_s);
  s!.decodeAfter?.push(r.decode_after_prompt_tok_s ?? NaN);
}

const f = (x?: number, d = 1) => (x === undefined ? "-" : x.toFixed(d));
const rows: Row[] = [];
for (const m of models) {
  if (only && !m.name.toLowerCase().includes(only.toLowerCase())) continue;
  const path = m.path();
  if (path === undefined || !existsSync(path)) { console.error(`skip ${m.name}: ${path ?? "no llama-quantize (--llama-quantize PATH)"} is missing`); continue; }
  for (const threads of threadCounts) {
    const llm = await LLM.load(path, { contextSize: Math.max(...prompts) + nGen + 8, threads });
    const V = llm.config.vocabSize;
    for (const nPrompt of prompts) {
      const prompt = Array.from({ length: Math.min(nPrompt, llm.contextSize - nGen - 1) }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (V - 3))));
      // the answer first: a greedy run must produce nGen in-vocabulary tokens
      const check = await llm.complete({ tokens: prompt }, { temperature: 0, maxTokens: nGen });
      if (check.tokens.some((t) => t < 0 || t >= V)) throw new Error(`${m.name}: generated an out-of-vocabulary token`);
      const row: Row = { model: m.name, threads: llm.threads, prompt: prompt.length, gen: nGen, ours: { prefill: [], decode: [], decode0: [] }, median: { ours_prefill: 0, ours_decode: 0, ours_decode0: 0 } };
      const peer = llamaBench && m.gguf;
      if (peer) { row.llamacpp_mmp0 = { prefill: [], decode: [], decodeAfter: [] }; row.llamacpp_mmap = { prefill: [], decode: [] }; }
      const notes: string[] = [];
      if (llm.threads !== threads) notes.push(`asked for ${threads} threads, ran on ${llm.threads}`);
      for (let r = 0; r < reps; r++) {
        const res = await llm.complete({ tokens: prompt }, { temperature: 0, maxTokens: nGen });
        row.ours.prefill.push(res.stats.prefillTokS);
        row.ours.decode.push(res.stats.decodeTokS);
        // llama-bench's tg: decode from an empty context (a one-token prompt)
        const res0 = await llm.complete({ tokens: [1] }, { temperature: 0, maxTokens: nGen });
        row.ours.decode0!.push(res0.stats.decodeTokS);
        if (peer) {
          const e0 = push(row.llamacpp_mmp0, llamaBenchRep(llamaBench, path, threads, prompt.length, nGen, 0, true));
          const e1 = push(row.llamacpp_mmap, llamaBenchRep(llamaBench, path, threads, prompt.length, nGen, 1));
          for (const e of [e0, e1]) if (e && !notes.includes(e)) notes.push(e);
        }
      }
      row.median.ours_prefill = median(row.ours.prefill);
      row.median.ours_decode = median(row.ours.decode);
      row.median.ours_decode0 = median(row.ours.decode0!);
      const l0 = row.llamacpp_mmp0, l1 = row.llamacpp_mmap;
      if (l0 && l0.prefill.length === reps) {
        row.median.llamacpp_mmp0_prefill = median(l0.prefill);
        row.median.llamacpp_mmp0_decode = median(l0.decode);
        const prefill = row.ours.prefill.map((x, i) => x / l0.prefill[i]), decode = row.ours.decode.map((x, i) => x / l0.decode[i]);
        const decode0 = row.ours.decode0!.map((x, i) => x / l0.decode[i]);
        row.ratio = { prefill, decode, decode0, prefill_median: median(prefill), decode_median: median(decode), decode0_median: median(decode0) };
        if (l0.decodeAfter!.every((x) => Number.isFinite(x))) {
          row.median.llamacpp_mmp0_decode_after = median(l0.decodeAfter!);
          row.ratio.decode_after = row.ours.decode.map((x, i) => x / l0.decodeAfter![i]);
          row.ratio.decode_after_median = median(row.ratio.decode_after);
        } else notes.push("llama-bench's pg test gave no decode rate after the prompt");
      }
      if (l1 && l1.prefill.length === reps) {
        row.median.llamacpp_mmap_prefill = median(l1.prefill);
        row.median.llamacpp_mmap_decode = median(l1.decode);
      }
      if (notes.length) row.note = notes.join("; ");
      rows.push(row);
      console.error(`${m.name}, ${row.threads} thread(s), prompt ${row.prompt}: prefill ${row.median.ours_prefill.toFixed(1)} tok/s, decode ${row.median.ours_decode.toFixed(1)} tok/s (from an empty context ${row.median.ours_decode0.toFixed(1)})` +
        (row.ratio ? `; llama.cpp -mmp 0 ${f(row.median.llamacpp_mmp0_prefill)} / ${f(row.median.llamacpp_mmp0_decode)}, mmap on ${f(row.median.llamacpp_mmap_prefill)} / ${f(row.median.llamacpp_mmap_decode)}` +
          ` (ours / -mmp 0: prefill ${row.ratio.prefill_median.toFixed(2)}, decode ${row.ratio.decode_median.toFixed(2)}, from an empty context ${row.ratio.decode0_median.toFixed(2)}, decode after the prompt against llama.cpp's after its prompt (pg) ${f(row.ratio.decode_after_median, 2)}; per rep ${row.ratio.decode.map((x) => x.toFixed(2)).join(" ")} / ${row.ratio.decode0.map((x) => x.toFixed(2)).join(" ")})` : "") + (row.note ? ` [${row.note}]` : ""));
    }
    llm.dispose();
  }
}

if (json) console.log(JSON.stringify({ reps, prompts, gen_tokens: nGen, llama_bench: llamaBench ?? null, rows }, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2));
else console.table(rows.map((r) => ({
  model: r.model, t: r.threads, pp: r.prompt,
  "ours pp": f(r.median.ours_prefill), ...(llamaBench ? { "lcpp pp": f(r.median.llamacpp_mmp0_prefill), "lcpp pp mmap": f(r.median.llamacpp_mmap_prefill), "pp ratio": f(r.ratio?.prefill_median, 2) } : {}),
  "ours tg": f(r.median.ours_decode), "ours tg0": f(r.median.ours_decode0), ...(llamaBench ? { "lcpp tg": f(r.median.llamacpp_mmp0_decode), "lcpp tg mmap": f(r.median.llamacpp_mmap_decode), "tg ratio": f(r.ratio?.decode_median, 2), "tg0 ratio": f(r.ratio?.decode0_median, 2), "lcpp tg@pp": f(r.median.llamacpp_mmp0_decode_after), "tg@pp ratio": f(r.ratio?.decode_after_median, 2), "tg ratios": r.ratio?.decode.map((x) => x.toFixed(2)).join(" ") ?? "-" } : {}),
})));
