// Merges the eval parts run.sh wrote (MODEL.PART.json, each from `budgetkv eval --json` on the
// same prompts) into one result set per model: writes MODEL.svg (every fixed-budget family's
// curve, every adaptive point, the target line) and prints the markdown tables of README.md:
// where each fixed curve reaches top-1 0.99 (interpolated, the full cache as its last point),
// each adaptive setting against the cheapest of them, the cheapest adaptive setting meeting the
// targets against every family at its own top-1, headwise + SnapKV against SnapKV at 0.5, and the
// retrieval parts in retrieval/ (found, right wherever the full cache is right, kept ratio).
// Usage: node scripts/run-ts.mjs bench/results/kv-quality/report.ts [DIR [target]]
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareToCurves, type PolicyResult } from "../../../src/eval/evaluate.ts";
import { cheapest, curveReach } from "../../../src/eval/summary.ts";
import { tradeoffSvg } from "../../../src/eval/svg.ts";

// (run from the repository root: the bundle run-ts.mjs makes lives elsewhere)
const dir = process.argv[2] ?? "bench/results/kv-quality";
const target = Number(process.argv[3] ?? 0.99), greedyMin = 0.85;
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "never");
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

interface Part { model: string; task?: string; prompts: number; prompt_end: string; cont_tokens: number; gen_tokens: number; prompt_tokens: { min: number; max: number }; policies: PolicyResult[] }
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
  // the cheapest adaptive setting meeting both targets, against each family at its own top-1
  const meets = policies.filter((r) => r.adaptive && r.top1_agreement >= target && r.greedy_identical >= greedyMin).sort((a, b) => a.kept_ratio - b.kept_ratio);
  const full = policies.find((r) => r.family === "full");
  if (meets.length) {
    const a = meets[0], t = a.top1_agreement;
    const reach = families(policies).map(([f, pts]) => [f, curveReach(full ? [...pts, full] : pts, t)] as [string, number]).sort((x, y) => x[1] - y[1]);
    const below = reach.length ? reach[0][1] - a.kept_ratio : NaN;
    console.log(`Cheapest adaptive setting with top-1 >= ${target} and greedy >= ${pct(greedyMin)}: ${a.name}, kept ${a.kept_ratio.toFixed(3)} (top-1 ${t.toFixed(3)}, greedy ${pct(a.greedy_identical)}). Each fixed family's curve at the same top-1 ${t.toFixed(3)}: ${reach.map(([f, k]) => `${f} ${f3(k)}`).join(", ")}; ${below > 0 ? `below every one, by ${below.toFixed(3)} (the nearest, ${reach[0][0]})` : `not below ${reach[0]?.[0]} (by ${f3(-below)} above it)`}.\n`);
  } else {
    console.log(`No adaptive setting met top-1 >= ${target} and greedy >= ${pct(greedyMin)}.\n`);
  }
}

// fixed-budget families measured at >= 2 budgets, with their points
function families(policies: PolicyResult[]): [string, PolicyResult[]][] {
  const m = new Map<string, PolicyResult[]>();
  for (const r of policies) if (!r.adaptive && r.family !== "full") m.set(r.family, [...(m.get(r.family) ?? []), r]);
  return [...m].filter(([, pts]) => pts.length >= 2);
}

// Retrieval parts (retrieval/MODEL.LENGTH.FIRST[.TAG].json, cases [FIRST, FIRST + n); a tagged
// part holds more policies on the same cases, without the full cache): per length and
// policy, the share found, the share right wherever the full cache is right, the kept ratio
// (mean over cases) and the needle entries kept.
const rdir = join(dir, "retrieval");
// found: per case index (first + i), so a part still running leaves its cases out without
// shifting the others against the full cache's
const byLen = new Map<string, Map<string, { found: Map<number, boolean>; kept: number; needle: number; n: number }>>();
const lens = new Map<string, { min: number; max: number }>();
for (const file of (() => { try { return readdirSync(rdir); } catch { return []; } })().filter((f) => f.endsWith(".json")).sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2]))) {
  const text = readFileSync(join(rdir, file), "utf8").trim();
  if (text === "") { console.error(`retrieval/${file}: empty (still running?), left out`); continue; }
  const j = JSON.parse(text) as Part;
  const [model, len, first] = file.split(".");
  const key = `${model} ${len}`;
  const m = byLen.get(key) ?? new Map();
  const l = lens.get(key) ?? { min: Infinity, max: 0 };
  l.min = Math.min(l.min, j.prompt_tokens.min); l.max = Math.max(l.max, j.prompt_tokens.max);
  lens.set(key, l);
  const tagged = file.split(".").length > 4;
  for (const r of j.policies) {
    if (tagged && r.family === "full") continue;   // the eval always runs the full cache; the untagged part holds it
    const e = m.get(r.name) ?? { found: new Map(), kept: 0, needle: 0, n: 0 };
    const n = r.retrieval_found?.length ?? 0;
    (r.retrieval_found ?? []).forEach((x, i) => e.found.set(Number(first) + i, x));
    e.kept += r.kept_ratio * n; e.needle += (r.needle_kept ?? NaN) * n; e.n += n;
    m.set(r.name, e);
  }
  byLen.set(key, m);
}
for (const [key, m] of byLen) {
  const l = lens.get(key)!, full = m.get("full");
  console.log(`### Retrieval, ${key.split(" ")[0]}, prompts of ${l.min}-${l.max} tokens: ${Math.max(...[...m.values()].map((e) => e.found.size))} cases\n`);
  console.log("| policy | kept | found | right wherever the full cache is right | needle entries kept |\n|---|---|---|---|---|");
  for (const [name, e] of m) {
    // the cases this policy ran that the full cache answers
    const fullRight = full ? [...full.found].filter(([i, x]) => x && e.found.has(i)).map(([i]) => i) : [];
    const same = fullRight.filter((i) => e.found.get(i)).length, ok = [...e.found.values()].filter(Boolean).length;
    console.log(`| ${name} | ${(e.kept / e.n).toFixed(3)} | ${ok}/${e.found.size} (${(100 * ok / e.found.size).toFixed(1)} %) | ${same}/${fullRight.length} (${(100 * same / fullRight.length).toFixed(1)} %) | ${(100 * e.needle / e.n).toFixed(1)} % |`);
  }
  console.log("");
}
