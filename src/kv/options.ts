// KV cache options as users give them (API and CLI), and the report a generation returns.
import type { KVType } from "./kv-type.ts";

export interface KVOptions {
  type?: KVType;          // storage of the cached K and V rows (default f32; kv-type.ts)
  residual?: number;      // q8_0: the newest rows per KV head kept in f16 until they leave this
                          // window (default 16; 0: every row Q8_0; kv/store.ts)
  policy?: string;        // registry name: full, dbudget, nucleus, threshold, streaming, h2o, snapkv, pyramidkv, tova, knorm, keydiff, expected-attention, criticalkv, headwise, random
  tolerance?: number;     // adaptive policies (dbudget, nucleus, threshold): T; <= 0 keeps everything
  ratio?: number;         // fixed-budget policies: fraction of the current length to keep, in (0, 1]
  budget?: number;        // fixed-budget policies: tokens to keep (instead of ratio)
  sinks?: number;         // leading positions always kept
  window?: number;        // observation window (queries) for attention-scored policies
  phase?: "prefill" | "turn" | "decode" | "both"; // when to prune (default prefill): after the
                          // (first) prompt, after every chat turn's prompt, every `interval` decoded
                          // tokens, or turn + decode
  contextShift?: boolean; // at the context size, prune (the policy, else StreamingLLM) and go on
  interval?: number;      // with decode/both: re-prune every `interval` decoded tokens
  exemptLayers?: number[];// layers never pruned
  perHead?: boolean;      // nucleus: one cut per KV head instead of per layer
  seed?: number;          // random policy
  [option: string]: unknown;
}

export interface KVReport {
  policy: string;
  type: KVType;             // storage of the K and V rows
  nPrompt: number;
  keptPerLayer: number[];   // rows kept per layer (mean over KV heads) after the last prune
  keptRatio: number;        // mean over layers of kept / n (exempt layers count 1.0)
  bytesFull: number;        // heap bytes the store held right before the first prune (measured)
  bytesKept: number;        // heap bytes the store holds right after the last prune (measured)
  pruneMs: number;          // total time spent pruning
  prunes: number;
  shifts: ShiftRecord[];    // context shifts during this generation: position, policy, rows kept
}

export interface ShiftRecord {
  at: number;               // position where the cache was full
  policy: string;           // what freed room: the session's policy and/or "streaming"
  kept: number;             // rows kept (mean over layers of the fullest KV head)
}
