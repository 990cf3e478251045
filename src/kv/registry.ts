// Every KV policy, by name. Options are validated when a policy is built: an unknown policy
// or option, or a value out of range, is an error that names it.
import type { KVPolicy, OptionSpec, PolicyFactory } from "./policy.ts";
import { OptionError } from "../util/option-error.ts";
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

// options every policy accepts (scheduling, handled by the controller)
const COMMON = new Set(["policy", "phase", "interval"]);

export function buildPolicy(opts: Record<string, unknown>): KVPolicy {
  const name = (opts.policy as string | undefined) ?? "full";
  const f = POLICIES.get(name);
  if (!f) throw new OptionError("kv.policy", name, `unknown KV policy (known: ${[...POLICIES.keys()].join(", ")})`, `unknown KV policy "${name}" (known: ${[...POLICIES.keys()].join(", ")})`);
  const merged: Record<string, unknown> = { ...f.defaults };
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined || COMMON.has(k)) continue;
    const spec = f.options[k];
    if (!spec) throw new OptionError(`kv.${k}`, v, `KV policy "${name}" has no such option`, `KV policy "${name}" has no option "${k}" (options: ${Object.keys(f.options).join(", ") || "none"})`);
    checkOption(name, k, v, spec);
    merged[k] = v;
  }
  if (merged.budget !== undefined && opts.ratio !== undefined && opts.budget !== undefined) {
    throw new RangeError(`KV policy "${name}": give ratio or budget, not both`);
  }
  return f.create(merged);
}

function checkOption(policy: string, key: string, v: unknown, s: OptionSpec): void {
  const bad = (want: string) => new OptionError(`kv.${key}`, v, `${want} (KV policy "${policy}")`, `KV policy "${policy}": invalid option ${key} = ${JSON.stringify(v)}: ${want}`);
  const num = (x: unknown) => {
    if (typeof x !== "number" || !Number.isFinite(x)) throw bad("expected a number");
    if (s.type === "integer" || s.type === "integers") if (!Number.isInteger(x)) throw bad("expected an integer");
    if (s.min !== undefined && (s.minExclusive ? x <= s.min : x < s.min)) throw bad(`must be ${s.minExclusive ? ">" : ">="} ${s.min}`);
    if (s.max !== undefined && x > s.max) throw bad(`must be <= ${s.max}`);
  };
  switch (s.type) {
    case "number": case "integer": num(v); break;
    case "boolean": if (typeof v !== "boolean") throw bad("expected true or false"); break;
    case "integers": if (!Array.isArray(v)) throw bad("expected a list of integers"); v.forEach(num); break;
    case "string": if (typeof v !== "string" || (s.values && !s.values.includes(v))) throw bad(`expected one of ${s.values?.join(", ")}`); break;
  }
}
