// Runs a model over a KV cache under a policy. Callers say "run these tokens" (run()); the
// controller chunks them, records the policy's query window as the kernels run it, prunes on
// schedule (after the prompt and/or every `interval` decoded tokens), and measures what it did.
//
// Prune points are positions, not calls: nPrompt, then nPrompt + k * interval when pruning
// during decode. A chunk never crosses one, so a run of any length prunes at the same places
// as a token-by-token run.
//
// A chat session keeps one controller for all its turns: beginTurn() moves the prompt end to
// the new turn's, so phase "turn" (and "both") prunes after every turn's prefill, "prefill"
// after the first only, and decode intervals count from the current turn's prompt end.
// shift() frees room when the cache reaches the context size (context shift by pruning).
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import type { Transformer, ForwardOptions } from "../model/transformer.ts";
import { KVStore } from "./store.ts";
import { QueryWindow } from "./window.ts";
import type { KVOptions, KVReport, ShiftRecord } from "./options.ts";
import type { KVPolicy, LayerContext } from "./policy.ts";
import { buildPolicy } from "./registry.ts";
import { streaming } from "./policies/streaming.ts";
import { projectedValueL1 } from "./vnorm.ts";
import { ropeMean } from "./rope-mean.ts";
import { Linear } from "../model/linear.ts";
import { OptionError } from "../util/option-error.ts";
import { type KVType, checkKVType, checkResidual } from "./kv-type.ts";

export type KVPhase = "prefill" | "turn" | "decode" | "both";
const PHASES: readonly KVPhase[] = ["prefill", "turn", "decode", "both"];

const now = () => (globalThis.performance ?? Date).now();

export interface RunOptions {
  logits?: boolean;        // compute the last token's logits (default true)
  signal?: AbortSignal;    // checked between chunks
}
const DEFAULT_RUN: RunOptions = {};

export class KVController {
  readonly store: KVStore;
  readonly policy: KVPolicy;
  private readonly phase: KVPhase;
  private readonly interval: number;   // > 0 when pruning during decode
  private win?: QueryWindow;
  private readonly fwd: ForwardOptions; // reused for every chunk
  private bytesFull = -1;
  private bytesKept = -1;
  private lastKept: number[] = [];
  private lastSeen = 0;
  private pruneMs = 0;
  private prunes = 0;
  // turns begun (1 for a one-shot generation)
  turns = 1;
  nPrompt: number;
  readonly shifts: ShiftRecord[] = [];
  private shiftFallback?: KVPolicy;
  private readonly shiftOn: boolean;
  private shiftWin = false;   // this.win is the context shift's window
  private lin?: Linear;                 // for valueOutL1, made on first use
  private rot?: { at: number; nFuture: number; R: Float64Array }; // ropeMean of the current prune

  // nPrompt: where the prompt ends (the prefill prune point); reserve: tokens to decode at most
  constructor(readonly rt: Runtime, readonly model: Transformer, readonly opts: KVOptions, nPrompt: number, reserve: number) {
    this.nPrompt = nPrompt;
    this.shiftOn = opts.contextShift === true;
    const c = KVController.check(opts, model.cfg.headDim);
    this.policy = c.policy;
    this.phase = c.phase;
    this.interval = c.interval;
    const decoding = this.interval > 0;
    const cfg = model.cfg;
    // when pruning during decode, blocks hold what is kept plus one interval, not the whole generation
    const room = decoding ? Math.min(reserve, this.interval) : reserve;
    // positions stay below the context size unless a context shift runs past it: 2 bytes a row then suffice
    const posBytes = !this.shiftOn && model.contextSize <= 65536 ? 2 : 4;
    this.store = new KVStore(rt, cfg.nLayers, cfg.nKvHeads, cfg.headDim, { capacity: Math.min(nPrompt + room, model.contextSize), headroom: room, type: c.type, residual: c.residual, posBytes });
    this.store.maxCap = model.contextSize;
    this.fwd = { start: 0, m: 1, pos0: 0, kv: this.store, logits: true };
    try {
      this.openWindow(0);
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  // Validates KV options (type, policy, phase, interval, contextShift): one error naming the bad one.
  static check(opts: KVOptions, headDim?: number): { type: KVType; residual: number; policy: KVPolicy; phase: KVPhase; interval: number } {
    const type = checkKVType(opts.type, headDim);
    const residual = checkResidual(opts.residual, type);
    const policy = buildPolicy(opts);
    const phase = opts.phase ?? "prefill";
    if (!PHASES.includes(phase)) throw new OptionError("kv.phase", phase, `expected ${PHASES.join(", ")}`, `invalid KV option phase = "${phase}": expected ${PHASES.join(", ")}`);
    if (opts.contextShift !== undefined && typeof opts.contextShift !== "boolean") throw new OptionError("kv.contextShift", opts.contextShift, "expected true or false", `invalid KV option contextShift = ${JSON.stringify(opts.contextShift)}: expected true or false`);
    const decoding = (phase === "decode" || phase === "both") && policy.name !== "full";
    const interval = opts.interval ?? 0;
    if (decoding && (!Number.isInteger(interval) || interval < Math.max(1, policy.window))) {
      throw new OptionError("kv.interval", opts.interval, `with phase "${phase}" it must be an integer >= ${Math.max(1, policy.window)} (the policy's query window)`, `invalid KV option interval = ${opts.interval}: with phase "${phase}" it must be an integer >= ${Math.max(1, policy.window)} (the policy's query window)`);
    }
    return { type, residual, policy, phase, interval: decoding ? interval : 0 };
  }

  // Whether the prompt end of the current turn is a prune point.
  private prunesAtPrompt(): boolean {
    if (this.phase === "decode") return false;
    return this.phase === "prefill" ? this.turns === 1 : true;
  }

  // The query window of the current turn (from the turn's first position `start` on).
  private openWindow(start: number): void {
    this.win?.dispose();
    this.win = undefined;
    this.shiftWin = false;
    const w = this.policy.window, cfg = this.model.cfg;
    if (this.policy.name === "full" || w === 0) return;
    const atPrompt = this.prunesAtPrompt();
    if (!atPrompt && this.interval === 0) return this.armShiftWindow(start);
    const from = atPrompt ? this.nPrompt - w : this.nPrompt + this.interval - w;
    this.win = new QueryWindow(this.rt, cfg.nLayers, cfg.nHeads, this.model.contextSize, Math.max(start, from), w, this.policy.queries, cfg.headDim, this.policy.lastQuery);
  }

  // A new turn of a session: its prompt ends at position nPrompt (after the tokens run so far);
  // reserve: tokens it decodes at most (the blocks' headroom).
  beginTurn(nPrompt: number, reserve: number): void {
    if (!(Number.isInteger(nPrompt) && nPrompt > this.pos)) throw new RangeError(`KV turn: prompt end ${nPrompt} must pass the ${this.pos} positions run`);
    this.turns++;
    this.nPrompt = nPrompt;
    this.store.headroom = this.interval > 0 ? Math.min(reserve, this.interval) : reserve;
    this.openWindow(this.pos);
  }

  // Most rows a KV head holds (the context size bounds it).
  get rows(): number {
    return this.store.maxRows();
  }

  // With contextShift, an attention-scored policy (and no decode interval) reads the queries
  // that run just before the cache fills: between prunes rows grow by one per position, so the
  // cache is full at fullAt = seen + (contextSize - rows), and the window covers the last w
  // positions before it (or from `seen`, when fewer are left). Armed when no other window is open.
  private armShiftWindow(seen: number): void {
    const w = this.policy.window;
    if (!this.shiftOn || w === 0 || this.policy.name === "full" || this.interval > 0) return;
    if (this.win && !this.shiftWin) return;
    const from = Math.max(seen, seen + (this.model.contextSize - this.rows) - w);
    if (this.win) {
      this.win.advance(from - this.win.from);   // zeroed, moved: no allocation per shift
    } else {
      const cfg = this.model.cfg;
      this.win = new QueryWindow(this.rt, cfg.nLayers, cfg.nHeads, this.model.contextSize, from, w, this.policy.queries, cfg.headDim, this.policy.lastQuery);
      this.shiftWin = true;
    }
  }

  // Context shift: frees room in a full cache with the session's policy: one that reads no
  // attention directly, an attention-scored one from the queries just before the cache filled
  // (armShiftWindow). StreamingLLM keeping half (4 sinks) frees room instead when the policy
  // cannot (full, a decode interval's window, no recorded queries) or frees none (a budget above
  // the context). Every layer is shifted, exempt layers too: a full layer has to make room.
  shift(contextSize: number): ShiftRecord {
    const t0 = now();
    const before = this.rows;
    let used = "";
    const recorded = this.shiftWin && this.win ? this.win.recorded(this.pos) : 0;
    if (this.policy.name !== "full" && (this.policy.window === 0 || recorded > 0)) {
      this.pruneWith(this.policy, false, recorded);
      used = this.policy.name;
    }
    if (this.rows >= contextSize || this.rows === before) {
      this.shiftFallback ??= streaming.create({ ratio: 0.5, sinks: 4 });
      this.pruneWith(this.shiftFallback, false);
      used = used ? `${used}+streaming` : "streaming";
    }
    const stats = this.store.layers.map((heads) => Math.max(...heads.map((b) => b.n)));
    const rec = { at: this.pos, policy: used, kept: stats.reduce((a, b) => a + b, 0) / stats.length };
    if (this.rows >= contextSize) throw new Error(`context shift at position ${this.pos} freed no room (${this.rows} rows kept of ${contextSize})`);
    this.shifts.push(rec);
    this.pruneMs += now() - t0;
    this.armShiftWindow(this.pos);
    return rec;
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
      let stop = Math.min(end, pos0 + this.model.maxChunk, this.nextPrunePoint(pos0));
      // a policy that reads the last query alone: the window's final query runs as its own chunk
      const win = this.win;
      if (win?.keepsLast && stop - 1 > pos0 && stop === Math.min(win.from + win.w, this.nextPrunePoint(pos0))) stop--;
      f.start = start + (pos0 - (end - m));
      f.m = stop - pos0;
      f.pos0 = pos0;
      f.logits = stop === end && o.logits !== false;
      f.window = win?.recordFor(pos0, f.m);
      this.model.forward(tokens, f);
      win?.settle();
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
      if (this.prunesAtPrompt()) this.prune(seen);
      else this.snapshot(seen);
    } else if (this.interval > 0 && seen > this.nPrompt && (seen - this.nPrompt) % this.interval === 0) {
      this.prune(seen);
    }
    const win = this.win;
    if (!win || this.shiftWin || seen < win.from + win.w) return;
    if (this.interval > 0) {
      win.advance(this.interval);   // the next interval's window
    } else {
      win.dispose();                // read once, after the prompt: give the memory back
      this.win = undefined;
      this.armShiftWindow(seen);
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
    this.pruneWith(this.policy, true, this.win ? this.win.recorded(seen) : 0);
    this.prunes++;
    this.pruneMs += now() - t0;
    this.snapshot(seen);
  }

  private pruneWith(policy: KVPolicy, exempt: boolean, recorded = 0): void {
    for (let l = 0; l < this.model.cfg.nLayers; l++) {
      if (exempt && policy.exemptLayers.has(l)) continue;
      const sel = policy.select(this.layerContext(l, recorded));
      if (sel === null) continue;
      if (sel instanceof Int32Array) this.store.keep(l, sel);
      else sel.forEach((rows, h) => this.store.keep(l, rows, h));
    }
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
      lastScores: (h) => {
        if (!win?.keepsLast) throw new Error(`KV policy ${name} reads the last query's attention but did not declare lastQuery`);
        return win.lastScores(layer, h, nGroup, heads[h].n);
      },
      keys: (h) => store.rowsF32(layer, h, "k"),
      values: (h) => store.rowsF32(layer, h, "v"),
      keyNorms: (h) => {
        const b = heads[h], k = store.rowsF32(layer, h, "k"), d = cfg.headDim;
        const out = new Float32Array(b.n);
        for (let i = 0; i < b.n; i++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += k[i * d + j] * k[i * d + j];
          out[i] = Math.sqrt(s);
        }
        return out;
      },
      queryStats: (h) => {
        const st = win?.queryStats(layer, h, nGroup, recorded);
        if (!st) throw new Error(`KV policy ${name} reads query statistics but did not declare queries`);
        return st;
      },
      ropeMean: (nFuture) => {
        const at = store.seen;
        if (this.rot?.at !== at || this.rot.nFuture !== nFuture) this.rot = { at, nFuture, R: ropeMean(this.rt, cfg, this.model.w.ropeFreqs, at, nFuture) };
        return this.rot.R;
      },
      valueOutL1: (h) => {
        this.lin ??= new Linear(this.rt, cfg.nHeads * cfg.headDim);
        return projectedValueL1(this.rt, this.lin, this.model.w.layers[layer].wo, store.rowsF32(layer, h, "v"), heads[h].n, h, cfg.nHeads, cfg.nKvHeads, cfg.headDim);
      },
    };
  }

  // Kept rows per layer and bytes as of the last prune (or right after prefill when none ran).
  // shiftsFrom: the first shift this report covers (a session reports each turn's own)
  report(shiftsFrom = 0): KVReport {
    if (this.lastSeen === 0) this.snapshot(this.store.seen);
    const kept = this.lastKept, seen = this.lastSeen;
    return {
      policy: this.policy.name,
      type: this.store.type,
      nPrompt: this.nPrompt,
      keptPerLayer: kept,
      keptRatio: kept.reduce((a, k) => a + Math.min(1, k / seen), 0) / kept.length,
      bytesFull: this.bytesFull,
      bytesKept: this.bytesKept,
      pruneMs: this.pruneMs,
      prunes: this.prunes,
      shifts: this.shifts.slice(shiftsFrom),
    };
  }

  dispose(): void {
    this.store.dispose();
    this.win?.dispose();
    this.lin?.dispose();
  }
}
