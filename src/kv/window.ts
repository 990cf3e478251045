// The query window a KV policy reads: positions [from, from + w) whose attention weights the
// kernels sum per layer while those queries run. After each prune that reads it, the window
// moves on by the decode interval and its sums start again from zero.
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import type { WindowRecord } from "../model/transformer.ts";

export class QueryWindow {
  readonly acc: Tensor[] = [];   // per layer (nHeads, accStride): acc[h, j] = sum over window queries of p_h[j]
  private readonly rec: WindowRecord; // handed to forward(), updated in place (no allocation per token)

  constructor(rt: Runtime, nLayers: number, nHeads: number, readonly accStride: number, public from: number, readonly w: number) {
    this.rec = { acc: this.acc, accStride, row0: 0 };
    try {
      for (let l = 0; l < nLayers; l++) this.acc.push(rt.zeros([nHeads, accStride]));
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  // What forward() should record for a chunk at positions pos0 .. pos0+m-1 (which the caller
  // ends at or before the window's end), or undefined when the chunk has no window query.
  recordFor(pos0: number, m: number): WindowRecord | undefined {
    if (pos0 + m <= this.from || pos0 >= this.from + this.w) return undefined;
    this.rec.row0 = Math.max(0, this.from - pos0);
    return this.rec;
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

  advance(by: number): void {
    this.from += by;
    for (const a of this.acc) a.f32().fill(0);
  }

  dispose(): void {
    for (const t of this.acc) t.dispose();
    this.acc.length = 0;
  }
}
