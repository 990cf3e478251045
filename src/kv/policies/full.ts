// full: the uncompressed cache.
import { definePolicy } from "../define.ts";

export const full = definePolicy({
  name: "full",
  summary: "keep every position (the reference every other policy is measured against)",
  options: {},
  make: () => ({ budget: (_ctx, n) => n }),
});
