// headwise: AdaKV-style head-wise budgets (Feng et al., arXiv 2407.11550; as NVIDIA/kvpress
// AdaKVPress applies it) over any per-KV-head scoring policy. The layer keeps the same number of
// rows as the wrapped policy would (the sum of its per-head budgets b_h), but spends them across
// KV heads jointly: each head keeps its sinks and recent rows (the wrapped policy's), a safeguard
// of floor(alpha * k_h) of its own best candidates (k_h = b_h - sinks - recent), and the other
// sum_h (k_h - safeguard_h) rows go to the best candidates of all heads together, compared by
// normalized score: each head's scores shifted to >= 0 and divided by their sum over all the
// head's rows, sinks and recent rows included (norm "total", default: as AdaKV compares attention
// weights, a head whose queries look mostly at its recent rows or sinks gives its candidates low
// scores and so few rows), or over its candidates alone (norm "candidates", the first version:
// every head's candidates then carry the same total, whatever the head attends to).
// Over a budget-free rule (scorer = dbudget, nucleus or threshold) the wrapper is budget-free
// too: b_h is what the rule itself keeps in head h (the layer's cut, in every head, for a rule
// that cuts the layer at once), and the scores are the rule's own signal per KV head (nucleus:
// its window's mean attention; dbudget: the last query's attention; threshold: its wrapped
// scores, over threshold's default scorer, snapkv: headwise's own `scorer` option names the rule).
// The tolerance, window, sinks and exempt layers are the rule's.
// Options other than scorer and alpha are the wrapped policy's (ratio, budget, window, ...).
import type { LayerContext, PolicyFactory, Scorer, SharedOptions } from "../policy.ts";
import { definePolicy } from "../define.ts";
import { number, withDefault, type OptionSpec } from "../schema.ts";
import { budgetOf, range, sinkCount, topRows, unionRows } from "../select.ts";
import { SCORER_NAMES, innerScorer, normalizeScores } from "./scorers.ts";
import { dbudget } from "./dbudget.ts";
import { nucleus } from "./nucleus.ts";
import { threshold } from "./threshold.ts";

// the budget-free rules headwise can wrap: their budget is what they keep
const RULES: ReadonlyMap<string, PolicyFactory> = new Map([dbudget, nucleus, threshold].map((f) => [f.name, f]));
const NAMES = [...SCORER_NAMES, ...RULES.keys()];
type Norm = "total" | "candidates";
const NORM: OptionSpec<string, true> = { type: "string", values: ["total", "candidates"], help: "what a head's scores are divided by before heads are compared: their sum over all its rows (total) or over its candidates", default: "total", hasDefault: true };
const WRAPPED: OptionSpec<string, true> = { type: "string", values: NAMES, help: `the scoring policy or budget-free rule wrapped (${NAMES.join(", ")})`, default: "snapkv", hasDefault: true };

// b_h per KV head: the rows the budget-free rule keeps in each head (sinks included)
function ruleBudgets(name: string, ctx: LayerContext, rule: Scorer, o: SharedOptions): number[] {
  const kept = (h: number | undefined, n: number) => {
    const s = sinkCount(ctx.positions(h ?? 0), o.sinks ?? 0);
    return unionRows(n, range(0, s), rule.cut!(ctx, h, s)).length;
  };
  if (rule.perHead) return ctx.heads.map((head, h) => kept(h, head.n));
  const n = ctx.heads[0].n;
  if (ctx.heads.some((h) => h.n !== n)) throw new Error(`headwise over ${name}: layer ${ctx.layer} was pruned per KV head and ${name} cuts the whole layer at once (prune once after the prompt, or use a rule that cuts per KV head)`);
  const b = kept(undefined, n);
  return ctx.heads.map(() => b);
}

// Rows (per KV head, ascending) the layer keeps under head-wise allocation of sc's budgets.
// budgets: b_h per KV head (default: the wrapped fixed-budget policy's)
export function headwiseSelect(ctx: LayerContext, inner: Scorer, o: SharedOptions, alpha: number, budgets?: number[], normBy: Norm = "total"): Int32Array[] | null {
  const H = ctx.nKvHeads;
  const units = ctx.heads.map((head, h) => {
    const n = head.n;
    const b = budgets ? budgets[h] : inner.budget ? inner.budget(ctx, n) : budgetOf(n, o);
    const s = Math.min(sinkCount(ctx.positions(h), o.sinks ?? 0), b);
    const r = Math.min(inner.recent ? inner.recent(b, n) : 0, b - s);
    return { n, b, s, hi: n - r, k: b - s - r };
  });
  if (units.every((u) => u.b >= u.n)) return null;
  // per head: its safeguard rows, and its candidates' normalized scores (-1 once safeguarded)
  const safe: Int32Array[] = [], norm: Float64Array[] = [];
  let pool = 0, total = 0;
  for (let h = 0; h < H; h++) {
    const u = units[h];
    let x: Float64Array;
    if (normBy === "total") x = u.hi > u.s ? normalizeScores(inner.score!(ctx, h, u.n), 0, u.n).slice(u.s, u.hi) : new Float64Array(0);
    else x = normalizeScores(u.hi > u.s ? inner.score!(ctx, h, u.hi) : new Float32Array(u.hi), u.s, u.hi);
    const g = Math.min(u.k, Math.floor(alpha * u.k));
    const top = topRows(ctx.rt, Float32Array.from(x), 0, x.length, g);
    for (const i of top) x[i] = -1;
    safe.push(top);
    norm.push(x);
    pool += u.k - g;
    total += x.length;
  }
  // joint top `pool` over every head's remaining candidates (ties: lower head, then older row)
  const all = new Float32Array(total), head = new Int32Array(total), row = new Int32Array(total);
  for (let h = 0, j = 0; h < H; h++) for (let i = 0; i < norm[h].length; i++, j++) { all[j] = norm[h][i]; head[j] = h; row[j] = i; }
  const joint = topRows(ctx.rt, all, 0, total, pool);
  const picked: number[][] = Array.from({ length: H }, () => []);
  for (const j of joint) picked[head[j]].push(row[j]);
  return units.map((u, h) => {
    const cand = [...safe[h], ...picked[h]].map((i) => i + u.s);
    return unionRows(u.n, range(0, u.s), cand, range(u.hi, u.n));
  });
}

export const headwise = definePolicy({
  name: "headwise",
  summary: "AdaKV-style head-wise budgets over a scoring policy (scorer=snapkv by default) or a budget-free rule (dbudget, nucleus, threshold): the layer's budget goes to the best normalized scores of all KV heads jointly",
  wraps: true,
  options: {
    scorer: WRAPPED,
    alpha: withDefault(number("safeguard: fraction of each head's own budget it keeps from its own best rows", { min: 0, max: 1 }), 0.2),
    norm: NORM,
  },
  make(o, rest) {
    const rule = RULES.get(o.scorer);
    if (rule) {
      const { options, scorer } = rule.scorer(rest);
      if (!scorer.score || !(scorer.perHead || scorer.headScores)) throw new RangeError(`KV policy "headwise": rule "${o.scorer}" has no score per KV head`);
      return {
        window: scorer.window, queries: scorer.queries, lastQuery: scorer.lastQuery, perHead: true, adaptive: true, shared: options,
        layer: (ctx, shared) => headwiseSelect(ctx, scorer, shared, o.alpha, ruleBudgets(o.scorer, ctx, scorer, shared), o.norm as Norm),
      };
    }
    const { options, scorer } = innerScorer("headwise", o.scorer, rest, true);
    return {
      window: scorer.window, queries: scorer.queries, lastQuery: scorer.lastQuery, perHead: true, shared: options,
      layer: (ctx, shared) => headwiseSelect(ctx, scorer, shared, o.alpha, undefined, o.norm as Norm),
    };
  },
});
