// What a KV policy sees and returns. A policy is a small object that scores or cuts positions
// for one layer (or one KV head); budgets, sinks, recency, the query window, top-k selection and
// compaction are shared code (select.ts, controller.ts, store.ts).
import type { KVHead } from "./store.ts";
import type { Runtime } from "../wasm/runtime.ts";
import type { Options, OptionSpec, Schema } from "./schema.ts";

export type { OptionSpec } from "./schema.ts";

export interface LayerContext {
  rt: Runtime;
  layer: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  heads: readonly KVHead[];       // the layer's KV heads (rows kept so far in each)
  // original positions of KV head h's rows (ascending)
  positions(h: number): Int32Array;
  // attention of the policy's window of queries (the last `window` prompt tokens, or of the
  // decode interval) from every query head in KV head h's group over that head's rows:
  // (nGroup, n_h) row-major, summed or averaged over the queries (causal: a query gives 0 to
  // rows after it). w is the policy's declared window; a prompt shorter than it gives fewer.
  windowScores(h: number, w: number, mode: "sum" | "mean"): Float32Array;
  // attention of the window's last query (the last prompt token, or the interval's last decoded
  // one) from every query head in KV head h's group: (nGroup, n_h), for a policy with lastQuery
  lastScores(h: number): Float32Array;
  // KV head h's key (value) rows as f32, (n_h, headDim): the rows attention reads, so for f16 and
  // Q8_0 the rounded ones (a new array; for f32 a view valid until the next prune)
  keys(h: number): Float32Array;
  values(h: number): Float32Array;
  // L2 norm of each key row of KV head h: (n_h)
  keyNorms(h: number): Float32Array;
  // L1 norm of each value row of KV head h through the output projection, W_o[:, g] @ v_i,
  // averaged over the head's query group g: (n_h) (CriticalKV)
  valueOutL1(h: number): Float32Array;
  // mean (nGroup, headDim) and covariance (nGroup, headDim, headDim) of the pre-RoPE queries of
  // KV head h's query group over the policy's window (a policy that sets queries: true)
  queryStats(h: number): { mean: Float64Array; cov: Float64Array };
  // (headDim, headDim) row-major: the RoPE rotation averaged over the next nFuture positions
  // (from the current length on), applied to a pre-RoPE vector as R x
  ropeMean(nFuture: number): Float64Array;
}

// Rows to keep (ascending row indices): one list for every KV head of the layer, one list per
// KV head, or null to keep the layer whole.
export type Selection = Int32Array | Int32Array[] | null;

// A built policy, as the controller runs it.
export interface KVPolicy {
  readonly name: string;
  readonly adaptive: boolean;     // budget-free (tolerance) rather than a fixed budget
  readonly window: number;        // recorded queries the policy reads (0: none)
  readonly queries: boolean;      // the window also records its pre-RoPE query statistics
  readonly lastQuery: boolean;    // the window also keeps its last query's attention apart
  readonly exemptLayers: ReadonlySet<number>;
  readonly state?: PolicyState;   // what the policy remembers between prunes (saved with a session)
  select(ctx: LayerContext): Selection;
}

// State a policy carries from prune to prune (a random generator): JSON-able, so a saved
// session holds it and a restored one continues exactly; restore() rejects what it did not save.
export interface PolicyState {
  save(): unknown;
  restore(v: unknown): void;
}

// What makes one policy different, built from its typed options. `h` is the KV head a call is
// about, or undefined when the policy cuts the whole layer at once (perHead false). n is the
// unit's row count; rows are indices into the unit's block (ascending positions).
//
// A fixed-budget policy keeps b rows (b from ratio/budget, or from budget()): the sinks, the
// `recent()` newest rows, and the top (b - sinks - recent) rows by score() among the rest (ties
// to the older row), unless pick() chooses the b rows itself. An adaptive policy (tolerance)
// gives cut(): the non-sink rows to keep; the sinks are kept by the shared path.
export interface Scorer {
  readonly window?: number;       // queries whose attention the policy reads (default 0)
  readonly perHead?: boolean;     // one selection per KV head (default: one per layer)
  readonly queries?: boolean;     // reads queryStats() (the window records pre-RoPE queries)
  readonly lastQuery?: boolean;   // reads lastScores() (the window keeps its last query apart)
  readonly state?: PolicyState;   // state kept between prunes (default none)
  // score() takes a KV head even though cut() cuts the whole layer (a budget-free rule whose
  // ranking signal exists per head, so headwise can spend its budget across heads)
  readonly headScores?: boolean;
  // a wrapper is budget-free when the rule it wraps is (overrides the definition's `adaptive`)
  readonly adaptive?: boolean;
  budget?(ctx: LayerContext, n: number): number;
  recent?(b: number, n: number): number;
  // (>= hi) higher is kept; only rows [sinks, hi) are ranked
  score?(ctx: LayerContext, h: number | undefined, hi: number): Float32Array;
  pick?(ctx: LayerContext, h: number | undefined, b: number): Int32Array;
  cut?(ctx: LayerContext, h: number | undefined, sinks: number): Int32Array;
  // a rule that selects every KV head of the layer jointly (wrappers such as headwise): replaces
  // the per-unit path above; o holds the shared options (sinks, ratio or budget)
  layer?(ctx: LayerContext, o: SharedOptions): Selection;
  // a wrapper's wrapped policy's shared options (sinks, exempt layers); its own come on top
  readonly shared?: SharedOptions;
}

// The common options every policy's schema may hold, read by the shared path.
export interface SharedOptions {
  readonly ratio?: number;
  readonly budget?: number;
  readonly sinks?: number;
  readonly tolerance?: number;
  readonly exemptLayers?: readonly number[];
}

export interface PolicyDef<S extends Schema> {
  readonly name: string;
  readonly summary: string;
  readonly adaptive?: boolean;    // budget-free: has a tolerance, and cut() instead of a budget
  readonly options: S;
  readonly wraps?: boolean;       // a wrapper: options outside `options` go to make() as `inner`
  make(o: Options<S>, inner: Record<string, unknown>): Scorer;
}

// A policy as the registry holds it: its schema (for help and validation) and how to build it.
export interface PolicyFactory {
  readonly name: string;
  readonly summary: string;
  readonly adaptive: boolean;
  readonly options: Schema;
  readonly defaults: Record<string, unknown>;
  create(opts: Record<string, unknown>): KVPolicy;
  // the validated options and scorer alone, for wrappers that reuse this policy's scores
  scorer(opts: Record<string, unknown>): { options: SharedOptions; scorer: Scorer };
}
