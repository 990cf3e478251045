// The compressible KV store. Per layer and per KV head (GQA-native: never expanded to query
// heads) it holds a compact key block and value block and each entry's original position.
// Keys keep the RoPE of their original position, so attention reads the first n rows of each
// block in any order. Decode appends; a prune keeps a set of rows, compacts them into right-sized
// new blocks and frees the old ones, so the heap really gets the bytes back.
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import { copyStrided, gatherRows } from "../wasm/ops/copy.ts";

export interface KVHead {
  k: Tensor;     // (cap, headDim)
  v: Tensor;     // (cap, headDim)
  pos: Tensor;   // (cap) i32: original position of each row
  n: number;     // valid rows
  cap: number;
}

export interface KVLayerStats {
  kept: number;        // mean rows kept over the layer's KV heads
}

export class KVStore {
  readonly layers: KVHead[][];   // [layer][kvHead]
  // positions appended so far (the full cache's length)
  seen = 0;
  // rows kept free after each block's valid rows when a block is (re)allocated
  headroom: number;

  constructor(readonly rt: Runtime, readonly nLayers: number, readonly nKvHeads: number, readonly headDim: number, capacity: number, headroom = 0) {
    this.headroom = headroom;
    this.layers = [];
    try {
      for (let l = 0; l < nLayers; l++) {
        const heads: KVHead[] = [];
        this.layers.push(heads);
        for (let h = 0; h < nKvHeads; h++) heads.push(this.block(Math.max(1, capacity)));
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  // Appends m rows for every KV head of `layer`. kSrc/vSrc: (m, nKvHeads*headDim) row-major,
  // at positions pos0 .. pos0+m-1. Grows a block (the only allocation) when it is full.
  append(layer: number, kSrc: Tensor, vSrc: Tensor, m: number, pos0: number): void {
    const hd = this.headDim, rowLen = this.nKvHeads * hd;
    for (let h = 0; h < this.nKvHeads; h++) {
      const b = this.layers[layer][h];
      if (b.n + m > b.cap) this.resize(layer, h, Math.max(b.n + m + this.headroom, Math.ceil(b.cap * 1.5)));
    }
    for (let h = 0; h < this.nKvHeads; h++) {
      const b = this.layers[layer][h];
      copyStrided(b.k, b.n * hd, hd, kSrc, h * hd, rowLen, m, hd);
      copyStrided(b.v, b.n * hd, hd, vSrc, h * hd, rowLen, m, hd);
      const pos = b.pos.i32();
      for (let t = 0; t < m; t++) pos[b.n + t] = pos0 + t;
      b.n += m;
    }
    if (layer === this.nLayers - 1) this.seen = Math.max(this.seen, pos0 + m);
  }

  // Keeps rows `keep` (ascending row indices into the current block) of one head, or of every
  // head of the layer when head is undefined, compacting into new blocks sized n + headroom.
  // Returns the heap bytes released.
  keep(layer: number, keep: Int32Array | readonly number[], head?: number): number {
    const heads = head === undefined ? [...this.layers[layer].keys()] : [head];
    for (const h of heads) {
      const n = this.layers[layer][h].n;
      for (let i = 0; i < keep.length; i++) {
        const r = keep[i];
        if (!(r >= 0 && r < n) || (i > 0 && r <= keep[i - 1])) {
          throw new RangeError(`kv keep: row indices must be ascending and in [0, ${n}), got ${r} at ${i}`);
        }
      }
    }
    const rows = this.rt.tensor("i32", [Math.max(1, keep.length)]).write(keep); // keep, in kernel memory
    let released = 0;
    try {
      for (const h of heads) {
        const old = this.layers[layer][h];
        const before = this.blockBytes(old);
        const nb = this.block(Math.max(1, keep.length + this.headroom));
        gatherRows(nb.k, old.k, rows, this.headDim, keep.length);
        gatherRows(nb.v, old.v, rows, this.headDim, keep.length);
        gatherRows(nb.pos, old.pos, rows, 1, keep.length);
        nb.n = keep.length;
        this.free(old);
        this.layers[layer][h] = nb;
        released += before - this.blockBytes(nb);
      }
    } finally {
      rows.dispose();
    }
    return released;
  }

  // original positions of a head's valid rows (a view; valid until the next append or prune)
  positions(layer: number, head: number): Int32Array {
    const b = this.layers[layer][head];
    return b.pos.i32().subarray(0, b.n);
  }

  // Heap bytes held by the store, measured from the allocator's block sizes.
  bytes(): number {
    let s = 0;
    for (const heads of this.layers) for (const b of heads) s += this.blockBytes(b);
    return s;
  }

  layerStats(): KVLayerStats[] {
    return this.layers.map((heads) => ({
      kept: heads.reduce((a, b) => a + b.n, 0) / heads.length,
    }));
  }

  dispose(): void {
    for (const heads of this.layers) for (const b of heads) this.free(b);
    this.layers.length = 0;
  }

  private resize(layer: number, head: number, cap: number): void {
    const old = this.layers[layer][head];
    const nb = this.block(cap);
    copyStrided(nb.k, 0, 0, old.k, 0, 0, 1, old.n * this.headDim);
    copyStrided(nb.v, 0, 0, old.v, 0, 0, 1, old.n * this.headDim);
    copyStrided(nb.pos, 0, 0, old.pos, 0, 0, 1, old.n);
    nb.n = old.n;
    this.free(old);
    this.layers[layer][head] = nb;
  }

  private block(cap: number): KVHead {
    const k = this.rt.tensor("f32", [cap, this.headDim]);
    let v: Tensor | undefined;
    try {
      v = this.rt.tensor("f32", [cap, this.headDim]);
      const pos = this.rt.tensor("i32", [cap]);
      return { k, v, pos, n: 0, cap };
    } catch (e) {
      k.dispose();
      v?.dispose();
      throw e;
    }
  }

  private blockBytes(b: KVHead): number {
    return b.k.heapBytes + b.v.heapBytes + b.pos.heapBytes;
  }

  private free(b: KVHead): void {
    b.k.dispose(); b.v.dispose(); b.pos.dispose();
  }
}
