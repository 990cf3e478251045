// definePolicy: from a policy's name, typed option schema and scorer to the factory the registry
// holds. Options are validated when the policy is built; selection goes through the shared path.
import type { PolicyDef, PolicyFactory, SharedOptions } from "./policy.ts";
import { parseOptions, type Schema } from "./schema.ts";
import { selectLayer } from "./select.ts";

// options every policy accepts (scheduling, handled by the controller)
const SCHEDULE = new Set(["policy", "phase", "interval"]);

export function definePolicy<S extends Schema>(def: PolicyDef<S>): PolicyFactory {
  const adaptive = def.adaptive ?? false;
  const defaults: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(def.options)) if (s.hasDefault) defaults[k] = s.default;
  return {
    name: def.name, summary: def.summary, adaptive, options: def.options, defaults,
    create(given) {
      const owner = `KV policy "${def.name}"`;
      const o = parseOptions(owner, def.options, given, SCHEDULE);
      if (given.ratio !== undefined && given.budget !== undefined) throw new RangeError(`${owner}: give ratio or budget, not both`);
      const sc = def.make(o);
      const shared = o as SharedOptions;
      return {
        name: def.name, adaptive, window: sc.window ?? 0, exemptLayers: new Set(shared.exemptLayers ?? []),
        select: (ctx) => selectLayer(def.name, adaptive, shared, sc, ctx),
      };
    },
  };
}
