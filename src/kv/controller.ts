// Runs a KV policy over a generation: owns the store, records the query window the policy
// reads, prunes after prefill and/or every `interval` decoded tokens, and measures what it did.
import type { Runtime } from "../wasm/runtime.ts";
import type { Transformer, QueryWindow } from "../model/transformer.ts";
import { KVStore } from "./store.ts";
import type { KVOptions, KVReport } from "./options.ts";
import type { KVPolicy, LayerContext } from "./policy.ts";
import { buildPolicy } from "./registry.ts";
import { mulberry32 } from "../util/rng.ts";
import { OptionError } from "../util/option-error.ts";

const now = () => (globalThis.performance ?? Date).now();

export class KVController {
  readonly store: KVStore;
  readonly policy: KVPolicy;
  private readonly phase: "prefill" | "decode" | "both";
  private readonly interval: number;
  private win?: QueryWindow;
  private bytesFull = -1;
  private bytesKept = -1;
  private lastKept: number[] = [];
  private lastSeen = 0;
  private pruneMs = 0;
  private prunes = 0;
  private readonly random: () => number;

  constructor(readonly rt: Runtime, readonly model: Transformer, opts: KVOptions, readonly nPrompt: number, reserve: number) {
    this.policy = buildPolicy(opts);
    this.phase = opts.phase ?? "prefill";
    if (!["prefill", "decode", "both"].includes(this.phase)) throw new OptionError("kv.phase", this.phase, "expected prefill, decode or both", `invalid KV option phase = "${this.phase}": expected prefill, decode or both`);
    this.interval = opts.interval ?? 0;
    if (this.phase !== "prefill" && this.policy.name !== "full") {
      if (!Number.isInteger(this.interval) || this.interval < Math.max(1, this.policy.window)) {
        throw new OptionError("kv.interval", opts.interval, `with phase "${this.phase}" it must be an integer >= ${Math.max(1, this.policy.window)} (the policy's query window)`, `invalid KV option interval = ${opts.interval}: with phase "${this.phase}" it must be an integer >= ${Math.max(1, this.policy.window)} (the policy's query window)`);
      }
    }
    this.random = mulberry32((opts.seed as number | undefined) ?? 1);
    const cfg = model.cfg;
    // when pruning during decode, blocks hold what is kept plus one interval, not the whole generation
    const room = this.phase !== "prefill" && this.policy.name !== "full" ? Math.min(reserve, this.interval) : reserve;
    this.store = new KVStore(rt, cfg.nLayers, cfg.nKvHeads, cfg.headDim, nPrompt + room, room);
    if (this.policy.name !== "full" && this.policy.window > 0) {
      const w = this.policy.window;
      const accStride = model.contextSize;
      this.win = { from: this.phase === "decode" ? nPrompt + this.interval - w : nPrompt - w, w, acc: [], accStride };
      try {
        for (let l = 0; l < cfg.nLayers; l++) {
          this.win.acc.push(rt.zeros([cfg.nHeads, accStride]));
        }
      } catch (e) {
        this.dispose();
        throw e;
      }
    }
  }

  // The window the forward pass should record into for a chunk at pos0..pos0+m, if any.
  windowFor(pos0: number, m: number): QueryWindow | undefined {
    const w = this.win;
    return w && pos0 + m > w.from && pos0 < w.from + w.w ? w : undefined;
  }

  afterPrefill(): void {
    if (this.phase !== "decode") this.prune(this.nPrompt);
    else this.snapshot(this.nPrompt);
  }

  // after the forward of position pos (a decoded token)
  afterDecode(pos: number): void {
    if (this.phase === "prefill" || this.policy.name === "full") return;
    const decoded = pos + 1 - this.nPrompt;
    if (decoded > 0 && decoded % this.interval === 0) this.prune(pos + 1);
    if (this.win && pos + 1 >= this.win.from + this.win.w) {
      this.win.from += this.interval;
      for (const a of this.win.acc) a.f32().fill(0);
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
    const cfg = this.model.cfg;
    const recorded = this.win ? Math.min(this.win.w, seen - Math.max(0, this.win.from)) : 0;
    for (let l = 0; l < cfg.nLayers; l++) {
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
    const cfg = this.model.cfg, store = this.store, rt = this.rt;
    const heads = store.layers[layer];
    const nGroup = cfg.nHeads / cfg.nKvHeads;
    const win = this.win;
    return {
      rt, layer, nLayers: cfg.nLayers, nHeads: cfg.nHeads, nKvHeads: cfg.nKvHeads, headDim: cfg.headDim, heads,
      positions: (h) => store.positions(layer, h),
      // the sums the attention kernels accumulated while the window's queries ran
      windowScores: (h, w, mode) => {
        if (!win) throw new Error(`KV policy ${this.policy.name} reads attention but declared no query window`);
        if (w < Math.min(win.w, recorded)) throw new Error(`KV policy ${this.policy.name} asked for ${w} window queries; it declared ${win.w}`);
        const b = heads[h], acc = win.acc[layer].f32();
        const out = new Float32Array(nGroup * b.n), div = mode === "mean" && recorded > 0 ? recorded : 1;
        for (let g = 0; g < nGroup; g++) {
          const row = acc.subarray((h * nGroup + g) * win.accStride, (h * nGroup + g) * win.accStride + b.n);
          for (let j = 0; j < b.n; j++) out[g * b.n + j] = row[j] / div;
        }
        return out;
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
      random: this.random,
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
    if (this.win) for (const t of this.win.acc) t.dispose();
  }
}
