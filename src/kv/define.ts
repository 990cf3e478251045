// definePolicy: from a policy's name, typed option schema and scorer to the factory the registry
// holds. Options are validated when the policy is built; selection goes through the shared path.
// A wrapper (wraps: true) owns only its own options: every other option is handed to make() to
// build the wrapped policy, which validates it under its own name.
import type { PolicyDef, PolicyFactory, SharedOptions } from "./policy.ts";
import { parseOptions, type Schema } from "./schema.ts";
import { selectLayer } from "./select.ts";

// options every policy accepts (scheduling, handled by the controller)
const SCHEDULE = new Set(["policy", "phase", "interval", "contextShift", "type", "residual"]);

export function definePolicy<S extends Schema>(def: PolicyDef<S>): PolicyFactory {
  const adaptive = def.adaptive ?? false;
  const defaults: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(def.options)) if (s.hasDefault) defaults[k] = s.default;
  const scorer = (given: Record<string, unknown>) => {
    const owner = `KV policy "${def.name}"`;
    const own: Record<string, unknown> = {}, rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(given)) (def.wraps && !(k in def.options) && !SCHEDULE.has(k) ? rest : own)[k] = v;
    const o = parseOptions(owner, def.options, own, SCHEDULE);
    if (given.ratio !== undefined && given.budget !== undefined) throw new RangeError(`${owner}: give ratio or budget, not both`);
    const sc = def.make(o, rest);
    // a wrapper's shared options (sinks, exempt layers) are its wrapped policy's, then its own
    return { options: { ...sc.shared, ...(o as SharedOptions) }, scorer: sc };
  };
  return {
    name: def.name, summary: def.summary, adaptive, options: def.options, defaults, scorer,
    create(given) {
      const { options: shared, scorer: sc } = scorer(given);
      const isAdaptive = sc.adaptive ?? adaptive;
      return {
        name: def.name, adaptive: isAdaptive, window: sc.window ?? 0, queries: sc.queries ?? false, lastQuery: sc.lastQuery ?? false, exemptLayers: new Set(shared.exemptLayers ?? []), state: sc.state,
        select: (ctx) => selectLayer(def.name, isAdaptive, shared, sc, ctx),
      };
    },
  };
}
