// nucleus: budget-free top-p over attention mass (docs: shared/docs/dbudgetkv.md, last section).
// s[i] = the signal's attention on position i, averaged over all query heads (of the layer, or of
// one KV head's group with perHead):
//   signal "mean":      the mean attention of the last `window` prompt queries (default);
//   signal "mean+last": (mean + the last query's attention) / 2, so a position that only the last
//                       query needs carries at least half its weight instead of 1/window of it
//                       (measured: no help on passkey retrieval, see bench/results/kv-quality);
//   signal "last":      the last query's attention alone.
// Rank the non-sink positions by s (ties: newer first) and keep the smallest set whose evicted
// mass / total mass <= T. Sinks kept, one cut per layer (or per KV head with perHead). T <= 0
// keeps everything. A layer is kept whole when it is exempt (exemptLayers) or, with flat > 0, when
// its signal is flat: the normalized entropy of s over the non-sink rows, H(s) / ln(count), is
// >= flat (such a layer's mass is spread over nearly every row, so a cut saves little and drops
// rows its next queries read). score() is s itself (per KV head or per layer), which headwise
// uses to spend the rows nucleus keeps across KV heads.
import type { LayerContext } from "../policy.ts";
import { definePolicy } from "../define.ts";
import { boolean, integer, number, withDefault, type OptionSpec } from "../schema.ts";
import { EXEMPT, SINKS, TOLERANCE, WINDOW } from "./common.ts";
import { range, topRows, unionRows } from "../select.ts";
import { nucleusCut } from "../../wasm/ops/dbudget.ts";
import { pool1d } from "../../wasm/ops/aggregate.ts";

const SIGNALS = ["mean", "mean+last", "last"];
type Signal = "mean" | "mean+last" | "last";
const SIGNAL: OptionSpec<string, true> = { type: "string", values: SIGNALS, help: `ranking signal: ${SIGNALS.join(", ")} (the window's mean attention, its average with the last query's, or the last query's)`, default: "mean", hasDefault: true };

// (n) KV head h's group's signal, averaged over the group (summed into out, scaled by `scale`)
function headSignal(ctx: LayerContext, h: number, w: number, signal: Signal, scale: number, out: Float32Array): void {
  const nGroup = ctx.nHeads / ctx.nKvHeads, n = ctx.heads[h].n;
  const add = (block: Float32Array, f: number) => {
    for (let g = 0; g < nGroup; g++) for (let i = 0; i < n; i++) out[i] += f * block[g * n + i];
  };
  const f = scale / nGroup;
  if (signal !== "last") add(ctx.windowScores(h, w, "mean"), signal === "mean" ? f : f / 2);
  if (signal !== "mean") add(ctx.lastScores(h), signal === "last" ? f : f / 2);
}

// (n) the signal of KV head h, or of the layer (every KV head, averaged), 1-D max pooled over
// `kernel` neighbouring positions (1: not pooled)
function nucleusSignal(ctx: LayerContext, h: number | undefined, w: number, signal: Signal, kernel: number): Float32Array {
  const s = new Float32Array(ctx.heads[h ?? 0].n);
  if (h !== undefined) headSignal(ctx, h, w, signal, 1, s);
  else for (let k = 0; k < ctx.nKvHeads; k++) headSignal(ctx, k, w, signal, 1 / ctx.nKvHeads, s);
  if (kernel <= 1) return s;
  const src = ctx.rt.fromArray(s), pooled = ctx.rt.tensor("f32", [s.length]);
  try {
    pool1d(pooled, src, { kernel, mode: "max" });
    return pooled.toFloat32Array();
  } finally {
    src.dispose(); pooled.dispose();
  }
}

// H(s) / ln(count) over s[lo..n): 1 for a uniform signal, 0 for one row holding all of it
export function flatness(s: Float32Array, lo: number): number {
  const m = s.length - lo;
  if (m <= 1) return 1;
  let sum = 0;
  for (let i = lo; i < s.length; i++) sum += Math.max(0, s[i]);
  if (!(sum > 0) || !Number.isFinite(sum)) return 1;
  let H = 0;
  for (let i = lo; i < s.length; i++) {
    const p = Math.max(0, s[i]) / sum;
    if (p > 0) H -= p * Math.log(p);
  }
  return H / Math.log(m);
}

export const nucleus = definePolicy({
  name: "nucleus",
  summary: "nucleus (ours): budget-free; keep the smallest set holding 1 - T of the window's attention mass",
  adaptive: true,
  options: {
    tolerance: TOLERANCE, window: withDefault(WINDOW, 32), sinks: SINKS, exemptLayers: withDefault(EXEMPT, [0]),
    perHead: withDefault(boolean("one cut per KV head instead of per layer"), false),
    signal: SIGNAL,
    kernel: withDefault(integer("1-D max-pooling kernel over positions before ranking (odd; 1: none)", { min: 1 }), 1),
    recent: withDefault(integer("newest rows always kept (their mass counts as kept)", { min: 0 }), 0),
    flat: withDefault(number("keep a layer whole when its signal's normalized entropy is >= this (0: off)", { min: 0, max: 1 }), 0),
  },
  make: (o) => {
    if (o.kernel % 2 === 0) throw new RangeError(`KV policy "nucleus": invalid option kernel = ${o.kernel}: must be odd`);
    const signal = o.signal as Signal;
    const signalOf = (ctx: LayerContext, h: number | undefined) => nucleusSignal(ctx, h, o.window, signal, o.kernel);
    return {
      window: o.window,
      lastQuery: signal !== "mean",
      perHead: o.perHead,
      // its ranking signal, per KV head or for the layer (headwise over nucleus compares heads by it)
      headScores: true,
      score: (ctx, h) => signalOf(ctx, h),
      cut(ctx, h, sinks) {
        const s = signalOf(ctx, h), n = s.length;
        if (o.flat > 0 && flatness(s, sinks) >= o.flat) return range(sinks, n);
        // the newest `recent` rows are kept; their mass counts as kept
        const hi = Math.max(sinks, n - o.recent);
        const order = topRows(ctx.rt, s, sinks, hi, hi - sinks, true);
        const t = ctx.rt.fromArray(s);
        try {
          return unionRows(n, order.subarray(0, nucleusCut(t, order, o.tolerance)), range(hi, n));
        } finally {
          t.dispose();
        }
      },
    };
  },
});
