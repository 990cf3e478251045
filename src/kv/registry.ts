// Every KV policy, by name. Options are validated when a policy is built: an unknown policy
// or option, or a value out of range, is an error that names it.
//
// Adding a policy: write src/kv/policies/NAME.ts exporting `definePolicy({ name, summary,
// options, make })` (see policy.ts, Scorer): options is a typed schema (shared specs in
// policies/common.ts, defaults with withDefault), and make(o) returns only what makes the
// policy different: score() for a top-k rule (plus recent() or budget() if it reserves newest
// rows or shapes the budget), pick() for a rule that chooses its b rows itself, or cut() for a
// budget-free rule (adaptive: true). Then add it to the list below. tests/kv-policies.test.ts
// runs every registered policy.
import type { KVPolicy, PolicyFactory } from "./policy.ts";
import { full } from "./policies/full.ts";
import { dbudget } from "./policies/dbudget.ts";
import { nucleus } from "./policies/nucleus.ts";
import { streaming } from "./policies/streaming.ts";
import { h2o } from "./policies/h2o.ts";
import { snapkv, pyramidkv } from "./policies/snapkv.ts";
import { tova } from "./policies/tova.ts";
import { knorm } from "./policies/knorm.ts";
import { random } from "./policies/random.ts";

export const POLICIES: ReadonlyMap<string, PolicyFactory> = new Map(
  [full, dbudget, nucleus, streaming, h2o, snapkv, pyramidkv, tova, knorm, random].map((f) => [f.name, f]),
);

export function buildPolicy(opts: Record<string, unknown>): KVPolicy {
  const name = opts.policy ?? "full";
  const f = typeof name === "string" ? POLICIES.get(name) : undefined;
  if (!f) throw new RangeError(`unknown KV policy "${String(name)}" (known: ${[...POLICIES.keys()].join(", ")})`);
  return f.create(opts);
}
