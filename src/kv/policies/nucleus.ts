// nucleus: budget-free top-p over attention mass (docs: shared/docs/dbudgetkv.md, last section).
// s[i] = mean over all query heads and the last `window` prompt queries of their attention on
// position i; rank the non-sink positions by s (ties: newer first) and keep the smallest set
// whose evicted mass / total mass <= T. Layer 0 exempt, sinks kept, one cut per layer (or per
// KV head with perHead). T <= 0 keeps everything.
import type { PolicyFactory } from "../policy.ts";
import { EXEMPT, SINKS, TOLERANCE, WINDOW } from "./common.ts";
import { range, sinkCount, sumRows, topRows, unionRows } from "../select.ts";
import { nucleusCut } from "../../wasm/ops/dbudget.ts";
import type { Runtime } from "../../wasm/runtime.ts";

function cutByMass(rt: Runtime, s: Float32Array, sinks: number, tol: number): Int32Array {
  const n = s.length;
  const order = topRows(rt, s, sinks, n, n - sinks, true);
  const t = rt.fromArray(s);
  try {
    const cut = nucleusCut(t, order, tol);
    return unionRows(n, range(0, sinks), order.subarray(0, cut));
  } finally {
    t.dispose();
  }
}

export const nucleus: PolicyFactory = {
  name: "nucleus",
  summary: "nucleus (ours): budget-free; keep the smallest set holding 1 - T of the window's attention mass",
  adaptive: true,
  options: { tolerance: TOLERANCE, window: WINDOW, sinks: SINKS, exemptLayers: EXEMPT, perHead: { type: "boolean", help: "one cut per KV head instead of per layer" } },
  defaults: { tolerance: 0.01, window: 32, sinks: 4, exemptLayers: [0], perHead: false },
  create: (o) => ({
    name: "nucleus", adaptive: true, window: o.window as number, exemptLayers: new Set(o.exemptLayers as number[]),
    select(ctx) {
      const tol = o.tolerance as number, w = o.window as number;
      if (tol <= 0) return null;
      const nGroup = ctx.nHeads / ctx.nKvHeads;
      if (o.perHead) {
        return ctx.heads.map((head, h) => {
          const s = sumRows(ctx.windowScores(h, w, "mean"), nGroup, head.n);
          for (let i = 0; i < head.n; i++) s[i] /= nGroup;
          return cutByMass(ctx.rt, s, sinkCount(ctx.positions(h), o.sinks as number), tol);
        });
      }
      const n = ctx.heads[0].n;
      if (ctx.heads.some((h) => h.n !== n)) throw new Error(`nucleus: layer ${ctx.layer} was pruned per KV head; use perHead`);
      const s = new Float32Array(n), part = new Float32Array(n);
      for (let h = 0; h < ctx.nKvHeads; h++) {
        sumRows(ctx.windowScores(h, w, "mean"), nGroup, n, part);
        for (let i = 0; i < n; i++) s[i] += part[i] / ctx.nHeads;
      }
      return cutByMass(ctx.rt, s, sinkCount(ctx.positions(0), o.sinks as number), tol);
    },
  }),
};
