// full: the uncompressed cache.
import type { PolicyFactory } from "../policy.ts";

export const full: PolicyFactory = {
  name: "full",
  summary: "keep every position (the reference every other policy is measured against)",
  adaptive: false,
  options: {},
  defaults: {},
  create: () => ({ name: "full", adaptive: false, window: 0, exemptLayers: new Set(), select: () => null }),
};
