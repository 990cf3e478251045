// Option specs shared by several policies (a policy sets its own default with withDefault).
import { integer, integers, number, withDefault } from "../schema.ts";

export const RATIO = withDefault(number("fraction of the current length to keep", { min: 0, max: 1, minExclusive: true }), 0.5);
export const BUDGET = integer("tokens to keep (overrides ratio)", { min: 0 });
export const SINKS = withDefault(integer("leading positions always kept", { min: 0 }), 4);
export const TOLERANCE = withDefault(number("tolerated loss; <= 0 keeps everything"), 0.01);
export const EXEMPT = integers("layers never pruned", { min: 0 });
export const WINDOW = integer("observation window: the last queries whose attention is read", { min: 1 });
