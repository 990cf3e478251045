// The answer a user wants from an eval: the cheapest setting that keeps top-1 agreement >= X,
// and where each fixed-budget family's curve reaches X (interpolated on its measured budgets).
import type { PolicyResult } from "./evaluate.ts";

export interface CheapestSummary {
  target: number;
  best?: PolicyResult;                  // least kept ratio among the settings with top-1 >= target
  bestAdaptive?: PolicyResult;          // the same among adaptive settings
  curves: Record<string, number>;       // family (measured at >= 2 budgets) -> kept ratio where its curve first reaches the target (NaN: never)
}

// The kept ratio at which a curve of (kept, top1) points (with the full cache's (1, top1 = 1))
// first reaches `target`, by linear interpolation between neighbouring budgets; NaN if never.
export function curveReach(points: readonly { kept_ratio: number; top1_agreement: number }[], target: number): number {
  const s = [...points].sort((a, b) => a.kept_ratio - b.kept_ratio);
  if (s.length === 0) return NaN;
  if (s[0].top1_agreement >= target) return s[0].kept_ratio;
  for (let i = 0; i + 1 < s.length; i++) {
    const a = s[i], b = s[i + 1];
    if (a.top1_agreement < target && b.top1_agreement >= target) {
      return a.kept_ratio + ((target - a.top1_agreement) / (b.top1_agreement - a.top1_agreement)) * (b.kept_ratio - a.kept_ratio);
    }
  }
  return NaN;
}

export function cheapest(results: readonly PolicyResult[], target: number): CheapestSummary {
  const ok = results.filter((r) => r.family !== "full" && r.top1_agreement >= target);
  const least = (rs: PolicyResult[]) => rs.reduce<PolicyResult | undefined>((a, r) => (!a || r.kept_ratio < a.kept_ratio ? r : a), undefined);
  const full = results.find((r) => r.family === "full");
  const families = new Map<string, PolicyResult[]>();
  for (const r of results) if (!r.adaptive && r.family !== "full") families.set(r.family, [...(families.get(r.family) ?? []), r]);
  const curves: Record<string, number> = {};
  // a family measured at one budget has no curve (a chord to the full cache would stand in for it)
  for (const [fam, pts] of families) if (pts.length >= 2) curves[fam] = curveReach(full ? [...pts, full] : pts, target);
  return { target, best: least(ok), bestAdaptive: least(ok.filter((r) => r.adaptive)), curves };
}

// "cheapest with top-1 >= 0.99: nucleus:0.01 kept 0.650 (top-1 0.992); fixed curves reach 0.99 at snapkv 0.781, ..."
export function cheapestLine(model: string, c: CheapestSummary): string {
  const show = (r?: PolicyResult) => (r ? `${r.name} kept ${r.kept_ratio.toFixed(3)} (top-1 ${r.top1_agreement.toFixed(3)}, greedy= ${(100 * r.greedy_identical).toFixed(0)}%)` : "none");
  const curves = Object.entries(c.curves).map(([f, k]) => `${f} ${Number.isFinite(k) ? k.toFixed(3) : "never"}`).join(", ");
  return `${model}: cheapest with top-1 >= ${c.target}: ${show(c.best)}; adaptive: ${show(c.bestAdaptive)}; fixed curves reach ${c.target} at: ${curves || "n/a"}`;
}
