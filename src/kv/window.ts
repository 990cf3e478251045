// The query window a KV policy reads: positions [from, from + w) whose attention weights the
// kernels sum per layer while those queries run. After each prune that reads it, the window
// moves on by the decode interval and its sums start again from zero.
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import type { WindowRecord } from "../model/transformer.ts";

export class QueryWindow {
  readonly acc: Tensor[] = [];   // per layer (nHeads, accStride): acc[h, j] = sum over window queries of p_h[j]
  // with lastQuery, per layer (nHeads, accStride): p_h[j] of the last single-row chunk recorded
  // (the controller runs a window's final query alone, so after it this is that query's row)
  readonly last: Tensor[] = [];
  private readonly rec: WindowRecord; // handed to forward(), updated in place (no allocation per token)
  private readonly lastRec?: WindowRecord; // records a single-row chunk into `last`
  private pending = false;         // `last` holds a row not yet added to acc

  // queries: also sum the window's pre-RoPE queries and their outer products (headDim d)
  // lastQuery: also keep the last query's attention apart (lastScores)
  constructor(rt: Runtime, nLayers: number, nHeads: number, readonly accStride: number, public from: number, readonly w: number, queries = false, readonly d = 0, lastQuery = false) {
    this.rec = { acc: this.acc, accStride, row0: 0 };
    if (queries) {
      this.rec.qSum = Array.from({ length: nLayers }, () => new Float64Array(nHeads * d));
      this.rec.qOuter = Array.from({ length: nLayers }, () => new Float64Array(nHeads * d * d));
    }
    if (lastQuery) this.lastRec = { acc: this.last, accStride, row0: 0, qSum: this.rec.qSum, qOuter: this.rec.qOuter };
    try {
      for (let l = 0; l < nLayers; l++) this.acc.push(rt.zeros([nHeads, accStride]));
      if (lastQuery) for (let l = 0; l < nLayers; l++) this.last.push(rt.zeros([nHeads, accStride]));
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  // What forward() should record for a chunk at positions pos0 .. pos0+m-1 (which the caller
  // ends at or before the window's end), or undefined when the chunk has no window query.
  // With lastQuery, a single-row chunk is recorded into `last` (zeroed first; settle() adds it
  // to acc once the chunk has run).
  recordFor(pos0: number, m: number): WindowRecord | undefined {
    if (pos0 + m <= this.from || pos0 >= this.from + this.w) return undefined;
    if (this.lastRec && m === 1) {
      for (const t of this.last) t.f32().fill(0);
      this.pending = true;
      return this.lastRec;
    }
    this.rec.row0 = Math.max(0, this.from - pos0);
    return this.rec;
  }

  // After a chunk: a row recorded into `last` joins the window's sums (nothing allocated).
  settle(): void {
    if (!this.pending) return;
    this.pending = false;
    for (let l = 0; l < this.acc.length; l++) {
      const a = this.acc[l].f32(), b = this.last[l].f32();
      for (let i = 0; i < a.length; i++) a[i] += b[i];
    }
  }

  // Whether the last query is kept apart (the controller then runs it as its own chunk).
  get keepsLast(): boolean {
    return this.lastRec !== undefined;
  }

  // (nGroup, n) attention of the last recorded query, KV head h's group, layer `layer`
  lastScores(layer: number, h: number, nGroup: number, n: number): Float32Array {
    if (!this.lastRec) throw new Error("query window: the last query was not kept apart (lastQuery)");
    const last = this.last[layer].f32(), out = new Float32Array(nGroup * n);
    for (let g = 0; g < nGroup; g++) out.set(last.subarray((h * nGroup + g) * this.accStride, (h * nGroup + g) * this.accStride + n), g * n);
    return out;
  }

  // Queries recorded by the time `seen` positions have run.
  recorded(seen: number): number {
    return Math.max(0, Math.min(this.w, seen - Math.max(0, this.from)));
  }

  // (nGroup, n) sums (or means over the recorded queries) of layer l's KV head h group over its n rows
  scores(layer: number, h: number, nGroup: number, n: number, div: number): Float32Array {
    const acc = this.acc[layer].f32(), out = new Float32Array(nGroup * n);
    for (let g = 0; g < nGroup; g++) {
      const off = (h * nGroup + g) * this.accStride;
      for (let j = 0; j < n; j++) out[g * n + j] = acc[off + j] / div;
    }
    return out;
  }

  // Mean (nGroup, d) and covariance (nGroup, d, d) of the pre-RoPE queries of KV head h's group
  // over the `count` recorded rows, or undefined when the window records no queries.
  queryStats(layer: number, h: number, nGroup: number, count: number): { mean: Float64Array; cov: Float64Array } | undefined {
    const rec = this.rec, d = this.d;
    if (!rec.qSum || !rec.qOuter) return undefined;
    const mean = new Float64Array(nGroup * d), cov = new Float64Array(nGroup * d * d), c = Math.max(1, count);
    for (let g = 0; g < nGroup; g++) {
      const qh = h * nGroup + g;
      for (let i = 0; i < d; i++) mean[g * d + i] = rec.qSum[layer][qh * d + i] / c;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        cov[(g * d + i) * d + j] = rec.qOuter[layer][(qh * d + i) * d + j] / c - mean[g * d + i] * mean[g * d + j];
      }
    }
    return { mean, cov };
  }

  advance(by: number): void {
    this.from += by;
    this.pending = false;
    for (const a of this.acc) a.f32().fill(0);
    for (const a of this.last) a.f32().fill(0);
    for (const a of this.rec.qSum ?? []) a.fill(0);
    for (const a of this.rec.qOuter ?? []) a.fill(0);
  }

  dispose(): void {
    for (const t of [...this.acc, ...this.last]) t.dispose();
    this.acc.length = 0;
    this.last.length = 0;
  }
}
