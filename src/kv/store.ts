// The compressible KV store. Per layer and per KV head (GQA-native: never expanded to query
// heads) it holds a compact key block and value block and each entry's original position.
// Keys keep the RoPE of their original position, so attention reads the first n rows of each
// block in any order. Decode appends; a prune keeps a set of rows, compacts them into right-sized
// new blocks and frees the old ones, so the heap really gets the bytes back.
// Rows are stored as the store's KV type (kv-type.ts): f32 blocks are f32 tensors (cap, headDim),
// f16 and Q8_0 blocks u8 tensors (cap, rowBytes); appending rounds the new rows to the type once,
// the attention kernels read them in place, and pruning moves them as they are (no requantizing).
// Q8_0 keys are centered: per layer and KV head, the mean key mu of the first append (the first
// prefill chunk) is subtracted from every key row before it is quantized, and mu is kept for the
// life of the store. Attention needs no change: q . (k - mu) = q . k - q . mu, a constant over the
// rows one query attends to, which softmax removes (any subset of rows, so pruning is unaffected).
// Why: a head's keys share a large common part (on stories260K the slowest RoPE pair holds a
// near-constant 10-20, the other channels 1-5), which sets every row's Q8_0 scale and leaves the
// rest a few bits. stories260K, 40 prompts, full Q8_0 cache vs the f32 one: keys alone cost KL
// 2.07e-3, values alone 8.5e-6; centering takes the keys' KL to 1.08e-3, with the least-squares
// block scale (kvrows.ts) to 4.9e-4. Keys with a NaN or infinity give a mean of 0 in that
// channel. Values are not centered (their error is the 8.5e-6). The means cost
// nLayers * nKvHeads * headDim floats, counted in bytes(); a snapshot carries them (snapshot.ts).
// Q8_0 residual (KIVI's full-precision recent tokens): with `residual` R > 0 each head also holds
// its newest rows in f16, in a window of windowRows(R) = R + ceil(R / 4) rows (wk, wv), keys
// centered like the Q8_0 ones. Appends go to the window; when it holds more than R rows the oldest
// are quantized into the Q8_0 block (from their f16 values; the rows a chunk pushes past R at once
// go straight from the chunk), and the window's rows move back to the buffer's start only when
// they reach its end (every ceil(R / 4) decoded tokens: R rows of 2 * headDim bytes moved). A
// head's rows in order are the Q8_0 rows [0, n - nw) then the window's [n - nw, n) (oldest first:
// the Q8_0 rows are older), one position array covering both, so positions(), keep() and the
// attention's score layout index that joined order. Why: stories260K, 120 prompts, full cache vs
// the f32 one: Q8_0 top-1 0.991, KL 2.9e-4; with the newest 16 rows in f16 0.998, 1.9e-5, for
// 0.358 of the f32 cache's bytes instead of 0.339 (README, `kv.residual`).
// Positions take 2 bytes a row (posBytes 2) where they stay below 65,536 (the controller's choice:
// a context of at most 65,536 without context shift), else 4.
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import { copyBytes, copyStrided, gatherByteRows, gatherRows } from "../wasm/ops/copy.ts";
import { readKVRows, writeKVRows } from "../wasm/ops/kvrows.ts";
import { type KVType, kvRowBytes } from "./kv-type.ts";
import { kv_dequantize_rows } from "../ref/kvrows.ts";

// rows of a residual window's buffer for R rows: R plus the slack that lets appends run
// ceil(R / 4) tokens between moves of the window to the buffer's start
export const windowRows = (R: number) => R + Math.ceil(R / 4);

export interface KVHead {
  k: Tensor;     // (cap, headDim) f32, or (cap, rowBytes) u8 of the store's KV type
  v: Tensor;     // as k
  pos: Tensor;   // (cap) i32, or (cap, 2) u8 (little-endian u16) in a store of 2-byte positions:
                 // original position of each row
  n: number;     // valid rows: the Q8_0 block's n - nw, then the window's nw
  cap: number;
  // Q8_0 with a residual window only (otherwise nw = 0): the newest nw rows, f16 rows
  // (windowRows(R), 2 * headDim) u8 each, the keys centered, at window rows [w0, w0 + nw)
  nw: number;
  w0: number;
  wk?: Tensor;
  wv?: Tensor;
}

// row i's position in a (cap, 2) u8 block of 2-byte positions (little-endian u16)
function getPos16(u: Uint8Array, i: number): number { return u[2 * i] | (u[2 * i + 1] << 8); }
function setPos16(u: Uint8Array, i: number, p: number): void { u[2 * i] = p & 255; u[2 * i + 1] = p >>> 8; }

export interface KVLayerStats {
  kept: number;        // mean rows kept over the layer's KV heads
  full: number;        // positions seen (what a full cache would hold)
  bytes: number;       // heap bytes held by the layer's blocks (measured)
}

// how a store is laid out: every option but capacity has the default shown
export interface KVStoreOptions {
  capacity: number;     // rows each head's first block holds
  headroom?: number;    // rows kept free after the valid rows when a block is (re)allocated (0)
  type?: KVType;        // row type ("f32")
  residual?: number;    // Q8_0: newest rows kept in f16 per head (0; other types ignore it)
  posBytes?: 2 | 4;     // bytes of a row's position (4)
}

export class KVStore {
  readonly layers: KVHead[][];   // [layer][kvHead]
  // positions appended so far (the full cache's length)
  seen = 0;
  // rows kept free after each block's valid rows when a block is (re)allocated
  headroom: number;
  // no block grows past this many rows (the context size; the cache never holds more)
  maxCap = Infinity;

  // bytes of one key (or value) row
  readonly rowBytes: number;
  // Q8_0 only: (nLayers, nKvHeads, headDim) f32 key means subtracted before quantizing, and per
  // layer whether they are set (at the layer's first append, or by setKeyMeans)
  private keyMean?: Tensor;
  private centered: boolean[];

  // Q8_0 only: the newest rows kept in f16 per head (0: none)
  readonly residual: number;
  // bytes of a row's position: 4 (i32), or 2 (u16: positions below 65,536, a context without shift)
  readonly posBytes: 2 | 4;
  // residual only: (residual, headDim) f32 scratch: window rows on their way into Q8_0
  private scratch?: Tensor;

  readonly type: KVType;

  constructor(readonly rt: Runtime, readonly nLayers: number, readonly nKvHeads: number, readonly headDim: number, o: KVStoreOptions) {
    const { capacity, headroom = 0, type = "f32", residual = 0, posBytes = 4 } = o;
    this.type = type;
    if (!(Number.isInteger(residual) && residual >= 0)) throw new RangeError(`KVStore: residual = ${residual}, expected an integer >= 0`);
    if (posBytes !== 2 && posBytes !== 4) throw new RangeError(`KVStore: posBytes = ${posBytes}, expected 2 or 4`);
    this.posBytes = posBytes;
    this.residual = type === "q8_0" ? residual : 0;
    this.headroom = headroom;
    this.rowBytes = kvRowBytes(type, headDim);
    this.layers = [];
    this.centered = new Array(nLayers).fill(false);
    try {
      if (type === "q8_0") this.keyMean = rt.zeros([Math.max(1, nLayers * nKvHeads * headDim)]);
      if (this.residual > 0) this.scratch = rt.tensor("f32", [this.residual, headDim]);
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
      if (b.n + m > b.cap) this.resize(layer, h, Math.max(b.n + m, Math.min(this.maxCap, Math.max(b.n + m + this.headroom, Math.ceil(b.cap * 1.5)))));
    }
    if (this.keyMean && !this.centered[layer] && m > 0) this.setLayerMean(layer, kSrc, m);
    for (let h = 0; h < this.nKvHeads; h++) {
      const b = this.layers[layer][h], muOff = (layer * this.nKvHeads + h) * hd;
      if (this.residual > 0) this.appendWindowed(b, kSrc, vSrc, m, h * hd, rowLen, muOff);
      else {
        writeKVRows(b.k, this.type, hd, b.n, kSrc, h * hd, rowLen, m, this.keyMean, muOff);
        writeKVRows(b.v, this.type, hd, b.n, vSrc, h * hd, rowLen, m);
      }
      this.writePositions(b, b.n, pos0, m);
      b.n += m;
    }
    if (layer === this.nLayers - 1) this.seen = Math.max(this.seen, pos0 + m);
  }

  // One head's m new rows (kSrc/vSrc rows from off, stride rowLen) into a residual store: the rows
  // that leave the window (its oldest, then the chunk's first when it brings more than R) are
  // quantized onto the Q8_0 block's end, the rest rounded to f16 into the window (keys minus mu).
  // Leaves b.n to the caller. No allocation.
  private appendWindowed(b: KVHead, kSrc: Tensor, vSrc: Tensor, m: number, off: number, rowLen: number, muOff: number): void {
    const hd = this.headDim, R = this.residual, wk = b.wk!, wv = b.wv!, sc = this.scratch!, wrb = 2 * hd;
    let nq = b.n - b.nw;
    const spill = Math.max(0, b.nw + m - R), spillOld = Math.min(spill, b.nw), spillNew = spill - spillOld;
    if (spillOld > 0) {
      readKVRows(sc, wk, "f16", hd, spillOld, b.w0);
      writeKVRows(b.k, "q8_0", hd, nq, sc, 0, hd, spillOld);
      readKVRows(sc, wv, "f16", hd, spillOld, b.w0);
      writeKVRows(b.v, "q8_0", hd, nq, sc, 0, hd, spillOld);
      b.w0 += spillOld; b.nw -= spillOld; nq += spillOld;
    }
    if (spillNew > 0) {
      writeKVRows(b.k, "q8_0", hd, nq, kSrc, off, rowLen, spillNew, this.keyMean, muOff);
      writeKVRows(b.v, "q8_0", hd, nq, vSrc, off, rowLen, spillNew);
    }
    const r = m - spillNew;
    if (r === 0) return;
    if (b.nw === 0) b.w0 = 0;
    else if (b.w0 + b.nw + r > windowRows(R)) {
      copyBytes(wk, 0, wk, b.w0 * wrb, b.nw * wrb);   // copyWithin: overlap is fine
      copyBytes(wv, 0, wv, b.w0 * wrb, b.nw * wrb);
      b.w0 = 0;
    }
    const src0 = off + spillNew * rowLen;
    writeKVRows(wv, "f16", hd, b.w0 + b.nw, vSrc, src0, rowLen, r);
    writeKVRows(wk, "f16", hd, b.w0 + b.nw, kSrc, src0, rowLen, r, this.keyMean, muOff);
    b.nw += r;
  }

  // mu of every KV head of `layer` = the mean of the m key rows kSrc (m, nKvHeads*headDim); a
  // non-finite mean is 0
  private setLayerMean(layer: number, kSrc: Tensor, m: number): void {
    const hd = this.headDim, rowLen = this.nKvHeads * hd, x = kSrc.f32(), mu = this.keyMean!.f32();
    for (let c = 0; c < rowLen; c++) {
      let s = 0;
      for (let t = 0; t < m; t++) s += x[t * rowLen + c];
      const mean = s / m;
      mu[layer * rowLen + c] = Number.isFinite(Math.fround(mean)) ? mean : 0;
    }
    this.centered[layer] = true;
  }

  // The key means, (nLayers, nKvHeads, headDim) as a copy (for save), or undefined when the store
  // centers nothing (f32, f16) or no layer has been appended to yet.
  keyMeans(): Float32Array | undefined {
    if (!this.keyMean || !this.centered.some(Boolean)) return undefined;
    return this.keyMean.f32().slice(0, this.nLayers * this.nKvHeads * this.headDim);
  }

  // Sets every layer's key means (restore; mu undefined: zeros, as rows saved uncentered need),
  // before the next append. Only for a Q8_0 store.
  setKeyMeans(mu: Float32Array | readonly number[] | undefined): void {
    const n = this.nLayers * this.nKvHeads * this.headDim;
    if (!this.keyMean) throw new RangeError(`kv setKeyMeans: a ${this.type} store keeps no key means`);
    if (mu !== undefined && mu.length !== n) throw new RangeError(`kv setKeyMeans: ${mu.length} values for ${n} (layers x KV heads x head_dim)`);
    for (let i = 0; i < n; i++) if (mu !== undefined && !Number.isFinite(mu[i])) throw new RangeError(`kv setKeyMeans: value ${i} is ${mu[i]}, not finite`);
    const t = this.keyMean.f32();
    if (mu === undefined) t.fill(0, 0, n); else t.set(mu);
    this.centered.fill(true);
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
    if (this.residual > 0) return this.keepWindowed(layer, keep, heads);
    const rows = this.rt.tensor("i32", [Math.max(1, keep.length)]).write(keep); // keep, in kernel memory
    let released = 0;
    try {
      for (const h of heads) {
        const old = this.layers[layer][h];
        const before = this.blockBytes(old);
        const nb = this.block(Math.max(1, Math.min(this.maxCap, keep.length + this.headroom)));
        if (this.type === "f32") {
          gatherRows(nb.k, old.k, rows, this.headDim, keep.length);
          gatherRows(nb.v, old.v, rows, this.headDim, keep.length);
        } else {
          gatherByteRows(nb.k, old.k, rows, this.rowBytes, keep.length);
          gatherByteRows(nb.v, old.v, rows, this.rowBytes, keep.length);
        }
        this.gatherPositions(nb, old, rows, keep.length);
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

  // keep() of a residual store: the kept rows below n - nw gathered into a new Q8_0 block, the
  // kept window rows into a new window (from its row 0), positions in the joined order
  private keepWindowed(layer: number, keep: Int32Array | readonly number[], heads: number[]): number {
    const hd = this.headDim;
    const rows = this.rt.tensor("i32", [Math.max(1, keep.length)]).write(keep);
    const wrows = this.rt.tensor("i32", [Math.max(1, keep.length)]);
    let released = 0;
    try {
      for (const h of heads) {
        const old = this.layers[layer][h];
        const before = this.blockBytes(old), nq = old.n - old.nw;
        let kq = 0;
        while (kq < keep.length && keep[kq] < nq) kq++;
        const w = wrows.i32();
        for (let i = kq; i < keep.length; i++) w[i - kq] = old.w0 + keep[i] - nq;
        const nb = this.block(Math.max(1, Math.min(this.maxCap, keep.length + this.headroom)), kq);
        gatherByteRows(nb.k, old.k, rows, this.rowBytes, kq);
        gatherByteRows(nb.v, old.v, rows, this.rowBytes, kq);
        gatherByteRows(nb.wk!, old.wk!, wrows, 2 * hd, keep.length - kq);
        gatherByteRows(nb.wv!, old.wv!, wrows, 2 * hd, keep.length - kq);
        this.gatherPositions(nb, old, rows, keep.length);
        nb.n = keep.length;
        nb.nw = keep.length - kq;
        this.free(old);
        this.layers[layer][h] = nb;
        released += before - this.blockBytes(nb);
      }
    } finally {
      rows.dispose();
      wrows.dispose();
    }
    return released;
  }

  // original positions of a head's valid rows (4-byte positions: a view, valid until the next
  // append or prune; 2-byte positions: a new array, at prune time only)
  positions(layer: number, head: number): Int32Array {
    const b = this.layers[layer][head];
    if (this.posBytes === 4) return b.pos.i32().subarray(0, b.n);
    const u = b.pos.bytes(), r = new Int32Array(b.n);
    for (let i = 0; i < b.n; i++) r[i] = getPos16(u, i);
    return r;
  }

  // positions pos0 .. pos0 + m - 1 into rows at .. at + m - 1 of b (no allocation)
  private writePositions(b: KVHead, at: number, pos0: number, m: number): void {
    if (this.posBytes === 4) {
      const pos = b.pos.i32();
      for (let t = 0; t < m; t++) pos[at + t] = pos0 + t;
      return;
    }
    if (pos0 + m > 65536) throw new RangeError(`kv append: position ${pos0 + m - 1} does not fit this store's 2-byte positions (below 65,536)`);
    const u = b.pos.bytes();
    for (let t = 0; t < m; t++) setPos16(u, at + t, pos0 + t);
  }

  private gatherPositions(nb: KVHead, old: KVHead, rows: Tensor, n: number): void {
    if (this.posBytes === 4) gatherRows(nb.pos, old.pos, rows, 1, n);
    else gatherByteRows(nb.pos, old.pos, rows, 2, n);
  }

  // The most rows any KV head holds (what the context size bounds).
  maxRows(): number {
    let m = 0;
    for (const heads of this.layers) for (const b of heads) if (b.n > m) m = b.n;
    return m;
  }

  // A head's key or value rows as f32 (n, headDim), a new array of the rows as stored (what
  // attention reads; Q8_0 keys with their mean added back), for the policies that score keys or
  // values; allocates, at prune time only. A copy for f32 too: a view of WASM memory would be
  // detached when a later allocation grows an unshared memory (one-thread loads, pages without
  // cross-origin isolation), as CriticalKV's projection does right after reading the values.
  rowsF32(layer: number, head: number, which: "k" | "v"): Float32Array {
    const b = this.layers[layer][head], hd = this.headDim;
    if (this.type === "f32") return b[which].f32().slice(0, b.n * hd);
    const nq = b.n - b.nw;
    const t = this.rt.tensor("f32", [Math.max(1, b.n), hd]);
    try {
      readKVRows(t, b[which], this.type, hd, nq);
      const r = t.f32().slice(0, b.n * hd);
      if (b.nw > 0) kv_dequantize_rows("f16", (which === "k" ? b.wk! : b.wv!).bytes().subarray(b.w0 * 2 * hd), r.subarray(nq * hd), hd, b.nw);
      if (which === "k" && this.keyMean) {
        const mu = this.keyMean.f32().subarray((layer * this.nKvHeads + head) * hd, (layer * this.nKvHeads + head + 1) * hd);
        for (let i = 0; i < r.length; i++) r[i] = Math.fround(r[i] + mu[i % hd]);
      }
      return r;
    } finally {
      t.dispose();
    }
  }

  // Replaces one head's rows with saved ones (restore): k, v the bytes of the n - nw rows of the
  // store's type (n - nw = their count; little-endian as the kernel memory), wk, wv the residual
  // window's nw f16 rows (keys centered; empty for none, at most `residual` rows), pos (n) ascending.
  setRows(layer: number, head: number, k: Uint8Array, v: Uint8Array, pos: Int32Array, wk?: Uint8Array, wv?: Uint8Array): void {
    const n = pos.length, rb = this.rowBytes, wrb = 2 * this.headDim;
    const nw = (wk?.length ?? 0) / wrb;
    if (!Number.isInteger(nw) || (wv?.length ?? 0) !== (wk?.length ?? 0)) throw new RangeError(`kv setRows: residual window of ${wk?.length ?? 0} key and ${wv?.length ?? 0} value bytes, not whole f16 rows of ${wrb}`);
    if (nw > this.residual) throw new RangeError(`kv setRows: ${nw} residual window rows for a store that keeps ${this.residual}`);
    if (nw > n || k.length !== (n - nw) * rb || v.length !== (n - nw) * rb) {
      throw new RangeError(`kv setRows: ${n} positions but ${k.length / rb} key and ${v.length / rb} value rows of ${rb} bytes and ${nw} window rows`);
    }
    if (this.posBytes === 2) {
      for (let i = 0; i < n; i++) if (!(pos[i] >= 0 && pos[i] < 65536)) throw new RangeError(`kv setRows: position ${pos[i]} does not fit this store's 2-byte positions (below 65,536)`);
    }
    const nb = this.block(Math.max(1, Math.min(this.maxCap, n + this.headroom)), n - nw);
    nb.k.bytes().set(k);
    nb.v.bytes().set(v);
    if (this.posBytes === 4) nb.pos.i32().set(pos);
    else {
      const u = nb.pos.bytes();
      for (let i = 0; i < n; i++) setPos16(u, i, pos[i]);
    }
    if (nw > 0) { nb.wk!.bytes().set(wk!); nb.wv!.bytes().set(wv!); }
    nb.n = n;
    nb.nw = nw;
    this.free(this.layers[layer][head]);
    this.layers[layer][head] = nb;
  }

  // Heap bytes held by the store, measured from the allocator's block sizes.
  bytes(): number {
    let s = (this.keyMean?.heapBytes ?? 0) + (this.scratch?.heapBytes ?? 0);
    for (const heads of this.layers) for (const b of heads) s += this.blockBytes(b);
    return s;
  }

  layerStats(): KVLayerStats[] {
    return this.layers.map((heads) => ({
      kept: heads.reduce((a, b) => a + b.n, 0) / heads.length,
      full: this.seen,
      bytes: heads.reduce((a, b) => a + this.blockBytes(b), 0),
    }));
  }

  dispose(): void {
    for (const heads of this.layers) for (const b of heads) this.free(b);
    this.layers.length = 0;
    this.keyMean?.dispose();
    this.keyMean = undefined;
    this.scratch?.dispose();
    this.scratch = undefined;
  }

  private resize(layer: number, head: number, cap: number): void {
    const old = this.layers[layer][head];
    const nb = this.block(cap, old.n - old.nw);
    if (this.type === "f32") {
      copyStrided(nb.k, 0, 0, old.k, 0, 0, 1, old.n * this.headDim);
      copyStrided(nb.v, 0, 0, old.v, 0, 0, 1, old.n * this.headDim);
    } else {
      copyBytes(nb.k, 0, old.k, 0, (old.n - old.nw) * this.rowBytes);
      copyBytes(nb.v, 0, old.v, 0, (old.n - old.nw) * this.rowBytes);
    }
    if (this.posBytes === 4) copyStrided(nb.pos, 0, 0, old.pos, 0, 0, 1, old.n);
    else copyBytes(nb.pos, 0, old.pos, 0, 2 * old.n);
    nb.n = old.n;
    if (old.nw > 0) {   // the window moves as it is (its buffers are the new block's)
      [nb.wk, old.wk, nb.wv, old.wv] = [old.wk, nb.wk, old.wv, nb.wv];
      nb.nw = old.nw; nb.w0 = old.w0;
    }
    this.free(old);
    this.layers[layer][head] = nb;
  }

  // A head's buffers for cap rows. A residual store's Q8_0 blocks hold max(nq, cap - R) rows (nq:
  // the Q8_0 rows they must take now): the window holds the newest rows, and an append that fills
  // cap leaves at most cap - R rows in Q8_0 (kept windows of fewer rows keep their Q8_0 rows below nq).
  private block(cap: number, nq = 0): KVHead {
    const rows = this.residual > 0 ? Math.max(1, nq, cap - this.residual) : cap;
    const shape = this.type === "f32" ? [rows, this.headDim] : [rows, this.rowBytes];
    const dtype = this.type === "f32" ? "f32" : "u8";
    const made: Tensor[] = [];
    try {
      const t = (dt: "f32" | "u8" | "i32", sh: number[]) => { const x = this.rt.tensor(dt, sh); made.push(x); return x; };
      const k = t(dtype, shape), v = t(dtype, shape), pos = this.posBytes === 4 ? t("i32", [cap]) : t("u8", [cap, 2]);
      const b: KVHead = { k, v, pos, n: 0, cap, nw: 0, w0: 0 };
      if (this.residual > 0) { b.wk = t("u8", [windowRows(this.residual), 2 * this.headDim]); b.wv = t("u8", [windowRows(this.residual), 2 * this.headDim]); }
      return b;
    } catch (e) {
      for (const x of made) x.dispose();
      throw e;
    }
  }

  private blockBytes(b: KVHead): number {
    return b.k.heapBytes + b.v.heapBytes + b.pos.heapBytes + (b.wk?.heapBytes ?? 0) + (b.wv?.heapBytes ?? 0);
  }

  private free(b: KVHead): void {
    b.k.dispose(); b.v.dispose(); b.pos.dispose(); b.wk?.dispose(); b.wv?.dispose();
  }
}
