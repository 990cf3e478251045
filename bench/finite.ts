// What the NaN/Inf checks cost (issue 13): decode speed with checkFinite "logits" (the default),
// "off" and "layers", interleaved round by round in one run on a SmolLM2-135M-shaped Q8_0 model
// (vocab 49152: the largest logits scan of the models budgetkv targets), and the load-time
// weight scan in time per million f32 values.
//   node scripts/run-ts.mjs bench/finite.ts [--rounds R] [--tokens T]
import { LLM } from "../src/llm.ts";
import { firstNonFiniteF32 } from "../src/model/finite.ts";
import { SMOLLM2_135M, syntheticGGUF } from "./synthetic.ts";

const args = process.argv.slice(2);
const opt = (k: string, d: string) => { const i = args.indexOf(k); return i >= 0 ? Number(args[i + 1]) : Number(d); };
const rounds = opt("--rounds", "7"), tokens = opt("--tokens", "24");

const t0 = performance.now();
const bytes = syntheticGGUF(SMOLLM2_135M, "q8_0");
console.log(`${SMOLLM2_135M.name}, q8_0: ${(bytes.length / 2 ** 20).toFixed(0)} MB built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const modes = ["logits", "off", "layers"] as const;
const llms = new Map<string, LLM>();
for (const m of modes) llms.set(m, await LLM.load(bytes, { checkFinite: m }));
const prompt = { tokens: Array.from({ length: 16 }, (_, i) => 100 + 37 * i) };
const speeds = new Map<string, number[]>(modes.map((m) => [m, []]));
let ref: number[] | undefined;
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...modes].reverse() : modes;
  for (const m of order) {
    const res = await llms.get(m)!.complete(prompt, { maxTokens: tokens, temperature: 0 });
    ref ??= res.tokens;
    if (JSON.stringify(res.tokens) !== JSON.stringify(ref)) throw new Error(`checkFinite ${m} changed the tokens`);
    if (r > 0) speeds.get(m)!.push(res.stats.decodeTokS); // round 0 warms up
  }
}
const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const off = median(speeds.get("off")!);
console.log(`decode, ${tokens} tokens after a 16-token prompt, median of ${rounds - 1} interleaved rounds (same tokens in every mode):`);
for (const m of modes) {
  const v = speeds.get(m)!;
  console.log(`  checkFinite ${m.padEnd(7)} ${median(v).toFixed(2).padStart(7)} tok/s  (${(median(v) / off).toFixed(3)} x off; min ${Math.min(...v).toFixed(2)}, max ${Math.max(...v).toFixed(2)})`);
}
for (const l of llms.values()) l.dispose();

// the per-step logits scan alone, and the weight scan's rate
const logits = new Float32Array(SMOLLM2_135M.vocab).map((_, i) => Math.sin(i));
let t = performance.now(), n = 0;
while (performance.now() - t < 300) { firstNonFiniteF32(logits); n++; }
const perScan = (performance.now() - t) / n;
const big = new Float32Array(1 << 24).map((_, i) => i * 1e-6);
t = performance.now();
for (let i = 0; i < 4; i++) firstNonFiniteF32(big);
const perM = (performance.now() - t) / 4 / 16.777216;
console.log(`logits scan (${SMOLLM2_135M.vocab} values): ${(perScan * 1000).toFixed(1)} us per step; weight scan: ${perM.toFixed(2)} ms per million f32 values (a 135M-parameter f32 model: ${(perM * 135).toFixed(0)} ms)`);
