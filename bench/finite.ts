// What the NaN/Inf checks cost (issue 13): decode cost with checkFinite "logits" (the default),
// "off" and "layers", interleaved round by round in one run on a SmolLM2-135M-shaped Q8_0 model
// (vocab 49152: the largest logits scan of the models budgetkv targets; --layers L keeps L of its
// 30 layers, which makes the per-step scan a larger share: a conservative bound), and the
// load-time weight scan per million f32 values. Times are this process's CPU time
// (process.cpuUsage), so a machine busy with other work does not distort the ratios; wall-clock
// tokens/s is printed beside them.
//   node scripts/run-ts.mjs bench/finite.ts [--rounds R] [--tokens T] [--layers L]
import { LLM } from "../src/llm.ts";
import { firstNonFiniteF32 } from "../src/model/finite.ts";
import { SMOLLM2_135M, syntheticGGUF } from "./synthetic.ts";
import { median } from "../src/util/stats.ts";

const args = process.argv.slice(2);
const opt = (k: string, d: string) => { const i = args.indexOf(k); return i >= 0 ? Number(args[i + 1]) : Number(d); };
const rounds = opt("--rounds", "7"), tokens = opt("--tokens", "24"), layers = opt("--layers", "30");
const shape = { ...SMOLLM2_135M, layers, name: `${SMOLLM2_135M.name}, ${layers} layers` };
const cpuMs = (since?: NodeJS.CpuUsage) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };

const t0 = performance.now();
const bytes = syntheticGGUF(shape, "q8_0");
console.log(`${shape.name}, q8_0: ${(bytes.length / 2 ** 20).toFixed(0)} MB built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const modes = ["logits", "off", "layers"] as const;
const llms = new Map<string, LLM>();
for (const m of modes) llms.set(m, await LLM.load(bytes, { checkFinite: m }));
const prompt = { tokens: Array.from({ length: 16 }, (_, i) => 100 + 37 * i) };
const speeds = new Map<string, number[]>(modes.map((m) => [m, []]));
const cpu = new Map<string, number[]>(modes.map((m) => [m, []])); // CPU ms per generated token
let ref: number[] | undefined;
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...modes].reverse() : modes;
  for (const m of order) {
    const c0 = process.cpuUsage();
    const res = await llms.get(m)!.complete(prompt, { maxTokens: tokens, temperature: 0 });
    const c = cpuMs(c0);
    ref ??= res.tokens;
    if (JSON.stringify(res.tokens) !== JSON.stringify(ref)) throw new Error(`checkFinite ${m} changed the tokens`);
    if (r > 0) { speeds.get(m)!.push(res.stats.decodeTokS); cpu.get(m)!.push(c / res.tokens.length); } // round 0 warms up
  }
}
const off = median(cpu.get("off")!);
console.log(`generation (16-token prompt + ${tokens} tokens), median of ${rounds - 1} interleaved rounds (same tokens in every mode):`);
for (const m of modes) {
  const v = cpu.get(m)!;
  console.log(`  checkFinite ${m.padEnd(7)} ${median(v).toFixed(2).padStart(8)} CPU ms/token  (${(median(v) / off).toFixed(3)} x off; min ${Math.min(...v).toFixed(2)}, max ${Math.max(...v).toFixed(2)}); wall ${median(speeds.get(m)!).toFixed(2)} tok/s`);
}
for (const l of llms.values()) l.dispose();

// the per-step logits scan alone, and the weight scan's rate
const logits = new Float32Array(SMOLLM2_135M.vocab).map((_, i) => Math.sin(i));
let c0 = process.cpuUsage(), n = 0;
while (cpuMs(c0) < 300) { firstNonFiniteF32(logits); n++; }
const perScan = cpuMs(c0) / n;
const big = new Float32Array(1 << 24).map((_, i) => i * 1e-6);
c0 = process.cpuUsage();
for (let i = 0; i < 4; i++) firstNonFiniteF32(big);
const perM = cpuMs(c0) / 4 / 16.777216;
console.log(`CPU time: logits scan (${shape.vocab} values) ${(perScan * 1000).toFixed(1)} us per step; weight scan ${perM.toFixed(2)} ms per million f32 values (a 135M-parameter f32 model: ${(perM * 135).toFixed(0)} ms)`);
