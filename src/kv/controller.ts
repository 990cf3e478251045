// Runs a model over a KV cache under a policy. Callers say "run these tokens" (run()); the
// controller chunks them, records the policy's query window as the kernels run it, prunes on
// schedule (after the prompt and/or every `interval` decoded tokens), and measures what it did.
//
// Prune points are positions, not calls: nPrompt, then nPrompt + k * interval when pruning
// during decode. A chunk never crosses one, so a run of any length prunes at the same places
// as a token-by-token run.
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import type { Transformer, ForwardOptions } from "../model/transformer.ts";
import { KVStore } from "./store.ts";
import { QueryWindow } from "./window.ts";
import type { KVOptions, KVReport } from "./options.ts";
import type { KVPolicy, LayerContext } from "./policy.ts";
import { buildPolicy } from "./registry.ts";

const now = () => (globalThis.performance ?? Date).now();

export interface RunOptions {
  logits?: boolean;        // compute the last token's logits (default true)
  signal?: AbortSignal;    // checked between chunks
}
const DEFAULT_RUN: RunOptions = {};

export class KVController {
  readonly store: KVStore;
  readonly policy: KVPolicy;
  private readonly phase: "prefill" | "decode" | "both";
  private readonly interval: number;   // > 0 when pruning during decode
  private win?: QueryWindow;
  private readonly fwd: ForwardOptions; // reused for every chunk
  private bytesFull = -1;
  private bytesKept = -1;
  private lastKept: number[] = [];
  private lastSeen = 0;
  private pruneMs = 0;
  private prunes = 0;

  // nPrompt: where the prompt ends (the prefill prune point); reserve: tokens to decode at most
  constructor(readonly rt: Runtime, readonly model: Transformer, opts: KVOptions, readonly nPrompt: number, reserve: number) {
    this.policy = buildPolicy(opts);
    this.phase = opts.phase ?? "prefill";
    if (!["prefill", "decode", "both"].includes(this.phase)) throw new RangeError(`invalid KV option phase = "${this.phase}": expected prefill, decode or both`);
    const pruning = this.policy.name !== "full";
    const decoding = this.phase !== "prefill" && pruning;
    const interval = opts.interval ?? 0;
    if (decoding && (!Number.isInteger(interval) || interval < Math.max(1, this.policy.window))) {
      throw new RangeError(`invalid KV option interval = ${opts.interval}: with phase "${this.phase}" it must be an integer >= ${Math.max(1, this.policy.window)} (the policy's query window)`);
    }
    this.interval = decoding ? interval : 0;
    const cfg = model.cfg;
    // when pruning during decode, blocks hold what is kept plus one interval, not the whole generation
    const room = decoding ? Math.min(reserve, this.interval) : reserve;
    this.store = new KVStore(rt, cfg.nLayers, cfg.nKvHeads, cfg.headDim, nPrompt + room, room);
    this.fwd = { start: 0, m: 1, pos0: 0, kv: this.store, logits: true };
    if (pruning && this.policy.window > 0) {
      const w = this.policy.window;
      try {
        this.win = new QueryWindow(rt, cfg.nLayers, cfg.nHeads, model.contextSize, this.phase === "decode" ? nPrompt + this.interval - w : nPrompt - w, w);
      } catch (e) {
        this.dispose();
        throw e;
      }
    }
  }

  // Positions run so far (the next token's position).
  get pos(): number {
    return this.store.seen;
  }

  // Runs tokens[start .. start+m) at positions pos .. pos+m-1 and returns the model's logits of
  // the last one (model.logits, unless logits is false). Chunks are at most maxChunk tokens and
  // end at every prune point; the window's queries are recorded and prunes happen on the way.
  run(tokens: ArrayLike<number>, start: number, m: number, o: RunOptions = DEFAULT_RUN): Tensor {
    if (!Number.isInteger(m) || m < 1) throw new RangeError(`KV run: m = ${m} tokens, expected an integer >= 1`);
    if (!Number.isInteger(start) || start < 0 || start + m > tokens.length) throw new RangeError(`KV run: tokens [${start}, ${start + m}) outside the ${tokens.length} given`);
    const end = this.pos + m, f = this.fwd;
    for (let pos0 = this.pos; pos0 < end; pos0 = this.pos) {
      const stop = Math.min(end, pos0 + this.model.maxChunk, this.nextPrunePoint(pos0));
      f.start = start + (pos0 - (end - m));
      f.m = stop - pos0;
      f.pos0 = pos0;
      f.logits = stop === end && o.logits !== false;
      f.window = this.win?.recordFor(pos0, f.m);
      this.model.forward(tokens, f);
      this.afterChunk(stop);
      o.signal?.throwIfAborted?.();
    }
    return this.model.logits;
  }

  // The first prune point after position p.
  private nextPrunePoint(p: number): number {
    if (p < this.nPrompt) return this.nPrompt;
    if (this.interval === 0) return Infinity;
    return this.nPrompt + (Math.floor((p - this.nPrompt) / this.interval) + 1) * this.interval;
  }

  // after the positions before `seen` have run
  private afterChunk(seen: number): void {
    if (seen === this.nPrompt) {
      if (this.phase !== "decode") this.prune(seen);
      else this.snapshot(seen);
    } else if (this.interval > 0 && seen > this.nPrompt && (seen - this.nPrompt) % this.interval === 0) {
      this.prune(seen);
    }
    const win = this.win;
    if (!win || seen < win.from + win.w) return;
    if (this.interval > 0) {
      win.advance(this.interval);   // the next interval's window
    } else {
      win.dispose();                // read once, after the prompt: give the memory back
      this.win = undefined;
    }
  }

  private snapshot(seen: number): void {
    this.lastKept = this.store.layerStats().map((s) => s.kept);
    this.lastSeen = seen;
    this.bytesKept = this.store.bytes();
    if (this.bytesFull < 0) this.bytesFull = this.bytesKept;
  }

  private prune(seen: number): void {
    if (this.policy.name === "full") { this.snapshot(seen); return; }
    const t0 = now();
    if (this.bytesFull < 0) this.bytesFull = this.store.bytes();
    const recorded = this.win ? this.win.recorded(seen) : 0;
    for (let l = 0; l < this.model.cfg.nLayers; l++) {
      if (this.policy.exemptLayers.has(l)) continue;
      const sel = this.policy.select(this.layerContext(l, recorded));
      if (sel === null) continue;
      if (sel instanceof Int32Array) this.store.keep(l, sel);
      else sel.forEach((rows, h) => this.store.keep(l, rows, h));
    }
    this.prunes++;
    this.pruneMs += now() - t0;
    this.snapshot(seen);
  }

  private layerContext(layer: number, recorded: number): LayerContext {
    const cfg = this.model.cfg, store = this.store, name = this.policy.name;
    const heads = store.layers[layer];
    const nGroup = cfg.nHeads / cfg.nKvHeads;
    const win = this.win;
    return {
      rt: this.rt, layer, nLayers: cfg.nLayers, nHeads: cfg.nHeads, nKvHeads: cfg.nKvHeads, headDim: cfg.headDim, heads,
      positions: (h) => store.positions(layer, h),
      // the sums the attention kernels accumulated while the window's queries ran
      windowScores: (h, w, mode) => {
        if (!win) throw new Error(`KV policy ${name} reads attention but declared no query window`);
        if (w < Math.min(win.w, recorded)) throw new Error(`KV policy ${name} asked for ${w} window queries; it declared ${win.w}`);
        return win.scores(layer, h, nGroup, heads[h].n, mode === "mean" && recorded > 0 ? recorded : 1);
      },
      keyNorms: (h) => {
        const b = heads[h], k = b.k.f32(), d = cfg.headDim;
        const out = new Float32Array(b.n);
        for (let i = 0; i < b.n; i++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += k[i * d + j] * k[i * d + j];
          out[i] = Math.sqrt(s);
        }
        return out;
      },
    };
  }

  // Kept rows per layer and bytes as of the last prune (or right after prefill when none ran).
  report(): KVReport {
    if (this.lastSeen === 0) this.snapshot(this.store.seen);
    const kept = this.lastKept, seen = this.lastSeen;
    return {
      policy: this.policy.name,
      nPrompt: this.nPrompt,
      keptPerLayer: kept,
      keptRatio: kept.reduce((a, k) => a + Math.min(1, k / seen), 0) / kept.length,
      bytesFull: this.bytesFull,
      bytesKept: this.bytesKept,
      pruneMs: this.pruneMs,
      prunes: this.prunes,
    };
  }

  dispose(): void {
    this.store.dispose();
    this.win?.dispose();
  }
}
