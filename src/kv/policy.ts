// What a KV policy sees and returns. A policy is a small object that scores or cuts positions
// for one layer; budgets, sinks, the query window and compaction are shared code.
import type { KVHead } from "./store.ts";
import type { Runtime } from "../wasm/runtime.ts";

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
  // L2 norm of each key row of KV head h: (n_h)
  keyNorms(h: number): Float32Array;
  // uniform in [0, 1), seeded
  random(): number;
}

// Rows to keep (ascending row indices): one list for every KV head of the layer, one list per
// KV head, or null to keep the layer whole.
export type Selection = Int32Array | Int32Array[] | null;

export interface KVPolicy {
  readonly name: string;
  readonly adaptive: boolean;     // budget-free (tolerance) rather than a fixed budget
  readonly window: number;        // recorded queries the policy reads (0: none)
  readonly exemptLayers: ReadonlySet<number>;
  select(ctx: LayerContext): Selection;
}

export interface OptionSpec {
  type: "number" | "integer" | "boolean" | "integers" | "string";
  min?: number;
  max?: number;
  minExclusive?: boolean;
  values?: readonly string[];
  help: string;
}

export interface PolicyFactory {
  readonly name: string;
  readonly summary: string;
  readonly adaptive: boolean;
  readonly options: Record<string, OptionSpec>;
  readonly defaults: Record<string, unknown>;
  create(opts: Record<string, unknown>): KVPolicy;
}
