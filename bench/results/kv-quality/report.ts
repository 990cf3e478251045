// Merges the eval parts run.sh wrote (MODEL.PART.json, each from `budgetkv eval --json` on the
// same prompts) into one result set per model: writes MODEL.svg (every fixed-budget family's
// curve, every adaptive point, the target line) and prints the markdown tables of README.md:
// where each fixed curve reaches top-1 0.99 (interpolated, the full cache as its last point),
// each adaptive setting against the cheapest of them, headwise + SnapKV against SnapKV at 0.5.
// Usage: node scripts/run-ts.mjs bench/results/kv-quality/report.ts [DIR [target]]
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareToCurves, type PolicyResult } from "../../../src/eval/evaluate.ts";
import { cheapest } from "../../../src/eval/summary.ts";
import { tradeoffSvg } from "../../../src/eval/svg.ts";

// (run from the repository root: the bundle run-ts.mjs makes lives elsewhere)
const dir = process.argv[2] ?? "bench/results/kv-quality";
const target = Number(process.argv[3] ?? 0.99), greedyMin = 0.85;
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "never");
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

interface Part { model: string; prompts: number; prompt_end: string; cont_tokens: number; gen_tokens: number; prompt_tokens: { min: number; max: number }; policies: PolicyResult[] }
const parts = new Map<string, { head: Part; policies: PolicyResult[] }>();
for (const file of readdirSync(dir).filter((f) => /^[^.]+\.[a-z]+\.json$/.test(f)).sort()) {
  if (readFileSync(join(dir, file), "utf8").trim() === "") { console.error(`${file}: empty (still running?), left out`); continue; }
  const j = JSON.parse(readFileSync(join(dir, file), "utf8")) as Part;
  const name = file.split(".")[0];
  const m = parts.get(name) ?? { head: j, policies: [] as PolicyResult[] };
  for (const key of ["prompts", "cont_tokens", "gen_tokens", "prompt_end"] as const) if (j[key] !== m.head[key]) throw new Error(`${file}: ${key} ${j[key]} differs from the other parts' ${m.head[key]}`);
  for (const r of j.policies as PolicyResult[]) if (!(r.family === "full" && m.policies.some((p) => p.family === "full"))) m.policies.push(r);
  parts.set(name, m);
}
for (const [name, { head, policies }] of parts) {
  compareToCurves(policies);
  const c = cheapest(policies, target);
  writeFileSync(join(dir, `${name}.svg`), tradeoffSvg(policies, `${head.model}: ${head.prompts} prompts, ${head.cont_tokens} teacher-forced tokens`, target) + "\n");
  const fams = Object.entries(c.curves).map(([f, k]) => [f, Number.isFinite(k) ? k : Infinity] as [string, number]).sort((a, b) => a[1] - b[1]);
  const [bestFam, bestReach] = fams[0] ?? ["none", Infinity];
  const pt = head.prompt_tokens;
  console.log(`### ${head.model}: ${head.prompts} prompts of ${pt.min}-${pt.max} tokens (${head.prompt_end} end), ${head.cont_tokens} teacher-forced, ${head.gen_tokens} greedy\n`);
  console.log("| fixed-budget setting | kept | top-1 | greedy identical |\n|---|---|---|---|");
  for (const r of policies.filter((r) => !r.adaptive && r.family !== "full")) console.log(`| ${r.name} | ${r.kept_ratio.toFixed(3)} | ${r.top1_agreement.toFixed(3)} | ${pct(r.greedy_identical)} |`);
  console.log(`\nFixed-budget curves reach top-1 ${target} at kept: ${fams.map(([f, k]) => `${f} ${f3(k)}`).join(", ")}.\n`);
  console.log(`| adaptive setting | kept | top-1 | greedy identical | top-1 >= ${target} and greedy >= ${pct(greedyMin)} | kept below the cheapest curve (${bestFam}, ${f3(bestReach)}) by |\n|---|---|---|---|---|---|`);
  for (const r of policies.filter((r) => r.adaptive)) {
    const ok = r.top1_agreement >= target && r.greedy_identical >= greedyMin, by = bestReach - r.kept_ratio;
    console.log(`| ${r.name} | ${r.kept_ratio.toFixed(3)} | ${r.top1_agreement.toFixed(3)} | ${pct(r.greedy_identical)} | ${ok ? "yes" : "no"} | ${!ok ? "-" : by > 0 ? `${by.toFixed(3)} (${(100 * by / bestReach).toFixed(1)} % fewer rows)` : `not below (${by.toFixed(3)})`} |`);
  }
  const at = (n: string) => policies.find((r) => r.name === n);
  const s5 = at("snapkv:0.5"), h5 = at("headwise:0.5");
  if (s5 && h5) {
    const d = h5.top1_agreement - s5.top1_agreement;
    console.log(`\nAt 0.5 kept: headwise + SnapKV top-1 ${h5.top1_agreement.toFixed(3)}, KL ${h5.kl_mean.toExponential(2)}, greedy ${pct(h5.greedy_identical)}; SnapKV ${s5.top1_agreement.toFixed(3)}, KL ${s5.kl_mean.toExponential(2)}, greedy ${pct(s5.greedy_identical)} (${d > 0 ? "headwise above by " + d.toFixed(3) : d === 0 ? "a tie" : "headwise below by " + (-d).toFixed(3)}).`);
  }
  console.log(c.best ? `\nCheapest with top-1 >= ${target}: ${c.best.name} at ${c.best.kept_ratio.toFixed(3)} kept.\n` : `\nNo setting reached top-1 ${target}.\n`);
}
