// The fixed-budget policies whose score() a wrapper (headwise, threshold, criticalkv) may reuse,
// by name. A wrapper builds the named policy's scorer from the options it does not own.
import type { PolicyFactory, Scorer, SharedOptions } from "../policy.ts";
import type { OptionSpec } from "../schema.ts";
import { h2o } from "./h2o.ts";
import { snapkv, pyramidkv } from "./snapkv.ts";
import { tova } from "./tova.ts";
import { knorm } from "./knorm.ts";
import { keydiff } from "./keydiff.ts";
import { expectedAttention } from "./expected.ts";

export const SCORERS: ReadonlyMap<string, PolicyFactory> = new Map([snapkv, pyramidkv, h2o, tova, knorm, keydiff, expectedAttention].map((f) => [f.name, f]));
export const SCORER_NAMES = [...SCORERS.keys()];

export const SCORER: OptionSpec<string, true> = { type: "string", values: SCORER_NAMES, help: `the scoring policy wrapped (${SCORER_NAMES.join(", ")})`, default: "snapkv", hasDefault: true };

// The named scorer built from `opts`; `owner` names the wrapper in errors.
export function innerScorer(owner: string, name: string, opts: Record<string, unknown>, needPerHead = false): { options: SharedOptions; scorer: Scorer } {
  const f = SCORERS.get(name);
  if (!f) throw new RangeError(`KV policy "${owner}": scorer "${name}" is not a scoring policy (scorers: ${SCORER_NAMES.join(", ")})`);
  const built = f.scorer(opts);
  if (!built.scorer.score) throw new RangeError(`KV policy "${owner}": scorer "${name}" has no score()`);
  if (needPerHead && !built.scorer.perHead) throw new RangeError(`KV policy "${owner}": scorer "${name}" scores the whole layer, not each KV head`);
  return built;
}

// Scores of rows [lo, hi) made comparable across heads and layers: shifted to be >= 0 when any
// is negative (the lowest becomes 0), then divided by their sum, so they sum to 1 (uniform when
// the sum is 0 or not finite). Returns a new (hi - lo) array.
export function normalizeScores(s: Float32Array, lo: number, hi: number): Float64Array {
  const m = Math.max(0, hi - lo), out = new Float64Array(m);
  let min = Infinity;
  for (let i = 0; i < m; i++) min = Math.min(min, s[lo + i]);
  const shift = min < 0 ? -min : 0;
  let sum = 0;
  for (let i = 0; i < m; i++) { out[i] = s[lo + i] + shift; sum += out[i]; }
  if (!(sum > 0) || !Number.isFinite(sum)) return out.fill(m ? 1 / m : 0);
  for (let i = 0; i < m; i++) out[i] /= sum;
  return out;
}
