// Option specs shared by several policies.
import type { OptionSpec } from "../policy.ts";

export const RATIO: OptionSpec = { type: "number", min: 0, max: 1, minExclusive: true, help: "fraction of the current length to keep" };
export const BUDGET: OptionSpec = { type: "integer", min: 0, help: "tokens to keep (overrides ratio)" };
export const SINKS: OptionSpec = { type: "integer", min: 0, help: "leading positions always kept" };
export const TOLERANCE: OptionSpec = { type: "number", help: "tolerated loss; <= 0 keeps everything" };
export const EXEMPT: OptionSpec = { type: "integers", min: 0, help: "layers never pruned" };
export const WINDOW: OptionSpec = { type: "integer", min: 1, help: "observation window: the last queries whose attention is read" };
