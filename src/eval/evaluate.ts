// The KV-policy evaluation: for each prompt, prefill, prune, then compare with the full cache
// over the text's own continuation (teacher forced): per-token KL of the next-token
// distributions, top-1 agreement and perplexity; and greedy continuations, token for token.
import type { Transformer } from "../model/transformer.ts";
import type { Runtime } from "../wasm/runtime.ts";
import { KVController } from "../kv/controller.ts";
import type { KVOptions } from "../kv/options.ts";
import type { EvalPrompt } from "./prompts.ts";

export interface PolicyRun {
  label: string;            // e.g. "snapkv:0.5"
  family: string;           // policy name
  adaptive: boolean;
  param?: number;           // ratio (fixed) or tolerance (adaptive)
  kv: KVOptions;
}

export interface PolicyResult {
  name: string;
  family: string;
  adaptive: boolean;
  param?: number;
  kv_type: string;                 // storage of the K and V rows (f32, f16, q8_0, q8_0/residual=N)
  kept_ratio: number;
  bytes_ratio: number;             // KV heap bytes after the prune / the f32 full cache's after prefill, mean over prompts (allocator-measured; both hold the continuation's headroom)
  top1_agreement: number;
  kl_mean: number;
  kl_max: number;
  greedy_identical: number;        // fraction of prompts whose greedy continuation equals full's
  greedy_prefix_mean: number;      // mean identical prefix length
  ppl: number;
  ppl_full: number;
  prune_ms_mean: number;
  prefill_ms_mean: number;
  bytes_saved_mean: number;        // heap bytes the prune gave back (full minus kept), mean over prompts
  retrieval_accuracy?: number;
  retrieval_found?: boolean[];      // retrieval: per prompt, whether the greedy answer holds the code
  needle_kept?: number;            // retrieval: share of the code's (position, layer, KV head) entries kept after the prompt
  vs_curve?: Record<string, number>; // adaptive: top-1 minus each fixed curve's at the same kept ratio
}

interface FullRef {
  logp: Float64Array[];   // per teacher-forced step: log-softmax (vocab)
  greedy: number[];
  nll: number;            // sum over steps
  bytes: number;          // heap bytes of the f32 full cache after prefill
}

const now = () => (globalThis.performance ?? Date).now();

function logSoftmax(logits: Float32Array, out: Float64Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
  return out;
}

function argmax(x: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[b]) b = i;
  return b;
}

export class Evaluator {
  private scratch: Float64Array;

  // decode: token ids to text, to check retrieval answers in the greedy continuation
  constructor(readonly rt: Runtime, readonly model: Transformer, readonly genTokens: number, readonly decode?: (ids: number[]) => string) {
    this.scratch = new Float64Array(model.cfg.vocabSize);
  }

  // teacher-forced pass: calls onStep(step, logits) for each of the continuation's tokens
  private forced(kvOpts: KVOptions, p: EvalPrompt, onStep: (j: number, logits: Float32Array) => void): { kept: number; pruneMs: number; prefillMs: number; saved: number; bytes: number } {
    const m = this.model, L = p.tokens.length, C = p.continuation.length;
    const seq = Int32Array.from([...p.tokens, ...p.continuation]);
    const kvc = new KVController(this.rt, m, kvOpts, L, C + 1);
    try {
      const t0 = now();
      kvc.run(seq, 0, L);
      const prefillMs = now() - t0;
      for (let j = 0; j < C; j++) {
        onStep(j, m.logits.f32());
        if (j + 1 < C) kvc.run(seq, L + j, 1);
      }
      const r = kvc.report();
      return { kept: r.keptRatio, pruneMs: r.pruneMs, prefillMs, saved: r.bytesFull - r.bytesKept, bytes: r.bytesKept };
    } finally {
      kvc.dispose();
    }
  }

  // the greedy continuation of p under kvOpts: G tokens (default genTokens); needle: the share of
  // the prompt's needle entries (position, layer, KV head) still in the cache after the prompt's
  // prune (NaN without a needle)
  greedy(kvOpts: KVOptions, p: EvalPrompt, G = this.genTokens): { tokens: number[]; needle: number } {
    const m = this.model, L = p.tokens.length;
    const seq = new Int32Array(L + G);
    seq.set(p.tokens);
    const kvc = new KVController(this.rt, m, kvOpts, L, G + 1);
    try {
      kvc.run(seq, 0, L);
      const needle = p.needle ? needleKept(kvc, p.needle) : NaN;
      const out: number[] = [];
      for (let j = 0; j < G; j++) {
        const next = argmax(m.logits.f32());
        out.push(next);
        seq[L + j] = next;
        if (j + 1 < G) kvc.run(seq, L + j, 1);
      }
      return { tokens: out, needle };
    } finally {
      kvc.dispose();
    }
  }

  reference(p: EvalPrompt): FullRef {
    const logp: Float64Array[] = [];
    let nll = 0;
    const { bytes } = this.forced({ policy: "full" }, p, (j, logits) => {
      const lp = logSoftmax(logits, new Float64Array(logits.length));
      logp.push(lp);
      nll -= lp[p.continuation[j]];
    });
    return { logp, greedy: this.greedy({ policy: "full" }, p).tokens, nll, bytes };
  }

  // Runs one policy over every prompt against the full-cache references.
  run(policy: PolicyRun, prompts: EvalPrompt[], refs: FullRef[]): PolicyResult {
    let kept = 0, agree = 0, steps = 0, klSum = 0, klMax = 0, nll = 0, nllFull = 0;
    let identical = 0, prefixSum = 0, pruneMs = 0, prefillMs = 0, answered = 0, retrieval = 0, saved = 0, needles = 0, needleSum = 0, bytes = 0;
    const found: boolean[] = [];
    prompts.forEach((p, i) => {
      const ref = refs[i];
      const r = this.forced(policy.kv, p, (j, logits) => {
        const lp = logSoftmax(logits, this.scratch);
        const lf = ref.logp[j];
        let kl = 0;
        for (let v = 0; v < lp.length; v++) { const pf = Math.exp(lf[v]); if (pf > 0) kl += pf * (lf[v] - lp[v]); }
        klSum += kl;
        if (kl > klMax) klMax = kl;
        if (argmax(lp) === argmax(lf)) agree++;
        nll -= lp[p.continuation[j]];
        steps++;
      });
      nllFull += ref.nll;
      kept += r.kept;
      pruneMs += r.pruneMs;
      prefillMs += r.prefillMs;
      saved += r.saved;
      bytes += r.bytes / ref.bytes;
      const { tokens: g, needle } = this.greedy(policy.kv, p);
      if (!Number.isNaN(needle)) { needles++; needleSum += needle; }
      let k = 0;
      while (k < g.length && g[k] === ref.greedy[k]) k++;
      prefixSum += k;
      if (k === g.length) identical++;
      if (p.answer !== undefined) {
        answered++;
        const ok = this.decode ? this.decode(g).includes(p.answer) : g.slice(0, p.continuation.length).join() === p.continuation.join();
        if (ok) retrieval++;
        found.push(ok);
      }
    });
    const n = prompts.length;
    return {
      name: policy.label, family: policy.family, adaptive: policy.adaptive, param: policy.param, kv_type: (policy.kv.type ?? "f32") + (policy.kv.residual !== undefined ? `/residual=${policy.kv.residual}` : ""),
      kept_ratio: kept / n,
      bytes_ratio: bytes / n,
      top1_agreement: agree / steps,
      kl_mean: klSum / steps,
      kl_max: klMax,
      greedy_identical: identical / n,
      greedy_prefix_mean: prefixSum / n,
      ppl: Math.exp(nll / steps),
      ppl_full: Math.exp(nllFull / steps),
      prune_ms_mean: pruneMs / n,
      prefill_ms_mean: prefillMs / n,
      bytes_saved_mean: saved / n,
      retrieval_accuracy: answered ? retrieval / answered : undefined,
      needle_kept: needles ? needleSum / needles : undefined,
      retrieval_found: answered ? found : undefined,
    };
  }
}

// share of the (position, layer, KV head) entries of positions [start, end) that the cache holds
function needleKept(kvc: KVController, [start, end]: [number, number]): number {
  const st = kvc.store;
  let kept = 0;
  for (let l = 0; l < st.nLayers; l++) {
    for (let h = 0; h < st.nKvHeads; h++) {
      for (const pos of st.positions(l, h)) if (pos >= start && pos < end) kept++;
    }
  }
  return kept / ((end - start) * st.nLayers * st.nKvHeads);
}

// For each adaptive result: its top-1 agreement minus each fixed-budget family's curve at the
// same kept ratio (linear interpolation between measured budgets; NaN outside the measured range).
// Curves are per KV type: an adaptive result is placed against the fixed budgets of its own type.
export function compareToCurves(results: PolicyResult[]): void {
  for (const t of new Set(results.map((r) => r.kv_type))) compareType(results.filter((r) => r.kv_type === t));
}

function compareType(results: PolicyResult[]): void {
  const families = new Map<string, PolicyResult[]>();
  for (const r of results) {
    if (r.adaptive || r.family === "full") continue;
    const list = families.get(r.family) ?? [];
    list.push(r);
    families.set(r.family, list);
  }
  const full = results.find((r) => r.family === "full");
  if (full) for (const pts of families.values()) pts.push(full); // every curve ends at (1, full's top-1)
  for (const r of results) {
    if (!r.adaptive) continue;
    r.vs_curve = {};
    for (const [fam, pts] of families) {
      if (pts.length < 2) continue;
      const s = [...pts].sort((a, b) => a.kept_ratio - b.kept_ratio);
      const x = r.kept_ratio;
      let y = NaN;
      for (let i = 0; i + 1 < s.length; i++) {
        const a = s[i], b = s[i + 1];
        if (x >= a.kept_ratio && x <= b.kept_ratio) {
          const t = b.kept_ratio > a.kept_ratio ? (x - a.kept_ratio) / (b.kept_ratio - a.kept_ratio) : 0;
          y = a.top1_agreement + t * (b.top1_agreement - a.top1_agreement);
        }
      }
      r.vs_curve[fam] = r.top1_agreement - y;
    }
  }
}
