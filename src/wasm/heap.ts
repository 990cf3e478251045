// The allocator for the kernel module's linear memory. It hands out 64-byte aligned blocks
// from [base, memory end), keeps freed blocks in an address-sorted free list that merges
// neighbours, and grows the memory only when no free block fits. Typed views over the memory
// are refreshed here after a grow, and nowhere else.

export const ALIGN = 64;
const PAGE = 65536;

export class OutOfMemoryError extends Error {
  constructor(msg: string) { super(msg); this.name = "OutOfMemoryError"; }
}

export interface HeapStats {
  bytesInUse: number;      // bytes in live blocks
  peakBytesInUse: number;  // high-water mark of bytesInUse (since creation or resetPeak)
  bytesFree: number;       // free bytes inside the memory already committed
  memoryBytes: number;     // size of the linear memory
  blocks: number;          // live blocks
}

export class Heap {
  // views over the whole memory, valid until the next grow
  f32!: Float32Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  u16!: Uint16Array;
  u8!: Uint8Array;
  // bumped on every grow, so cached views can tell they are stale
  generation = 0;
  limitBytes: number;
  private freeOff: number[] = [];
  private freeLen: number[] = [];
  private live = new Map<number, number>();
  private inUse = 0;
  private peak = 0;

  constructor(readonly memory: WebAssembly.Memory, readonly base: number, limitBytes = 4 * 1024 ** 3 - PAGE) {
    this.limitBytes = limitBytes;
    this.refresh();
    const start = align(base);
    const end = this.u8.length;
    if (end > start) { this.freeOff.push(start); this.freeLen.push(end - start); }
  }

  get stats(): HeapStats {
    let free = 0;
    for (const l of this.freeLen) free += l;
    return { bytesInUse: this.inUse, peakBytesInUse: this.peak, bytesFree: free, memoryBytes: this.u8.length, blocks: this.live.size };
  }

  // Starts a new high-water mark from what is in use now.
  resetPeak(): void {
    this.peak = this.inUse;
  }

  // Returns the byte offset of a new block of at least `bytes` bytes (64-byte aligned, not zeroed).
  alloc(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`heap: invalid allocation size ${bytes}`);
    const size = Math.max(ALIGN, align(bytes));
    if (this.inUse + size > this.limitBytes) {
      throw new OutOfMemoryError(`heap: allocating ${size} bytes would pass the limit of ${this.limitBytes} bytes (${this.inUse} in use)`);
    }
    let i = this.firstFit(size);
    if (i < 0) { this.grow(size); i = this.firstFit(size); }
    const off = this.freeOff[i];
    if (this.freeLen[i] === size) { this.freeOff.splice(i, 1); this.freeLen.splice(i, 1); }
    else { this.freeOff[i] += size; this.freeLen[i] -= size; }
    this.live.set(off, size);
    this.inUse += size;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return off;
  }

  // Returns a block to the free list, merging it with free neighbours.
  free(off: number): void {
    const size = this.live.get(off);
    if (size === undefined) throw new Error(`heap: free of ${off}, which is not a live block`);
    this.live.delete(off);
    this.inUse -= size;
    let lo = 0, hi = this.freeOff.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.freeOff[mid] < off) lo = mid + 1; else hi = mid; }
    const prev = lo - 1;
    const mergePrev = prev >= 0 && this.freeOff[prev] + this.freeLen[prev] === off;
    const mergeNext = lo < this.freeOff.length && off + size === this.freeOff[lo];
    if (mergePrev && mergeNext) {
      this.freeLen[prev] += size + this.freeLen[lo];
      this.freeOff.splice(lo, 1); this.freeLen.splice(lo, 1);
    } else if (mergePrev) this.freeLen[prev] += size;
    else if (mergeNext) { this.freeOff[lo] = off; this.freeLen[lo] += size; }
    else { this.freeOff.splice(lo, 0, off); this.freeLen.splice(lo, 0, size); }
  }

  sizeOf(off: number): number {
    const size = this.live.get(off);
    if (size === undefined) throw new Error(`heap: ${off} is not a live block`);
    return size;
  }

  private firstFit(size: number): number {
    for (let i = 0; i < this.freeLen.length; i++) if (this.freeLen[i] >= size) return i;
    return -1;
  }

  private grow(size: number): void {
    const end = this.u8.length;
    const n = this.freeOff.length;
    const tailFree = n > 0 && this.freeOff[n - 1] + this.freeLen[n - 1] === end ? this.freeLen[n - 1] : 0;
    const need = size - tailFree;
    // grow by at least 1/8 of the memory so many small allocations do not grow it page by page
    const pages = Math.max(Math.ceil(need / PAGE), Math.ceil(end / PAGE / 8));
    try {
      this.memory.grow(pages);
    } catch {
      try { this.memory.grow(Math.ceil(need / PAGE)); } catch {
        throw new OutOfMemoryError(`heap: cannot grow the memory by ${need} bytes (now ${end} bytes)`);
      }
    }
    this.refresh();
    const added = this.u8.length - end;
    if (tailFree > 0) this.freeLen[n - 1] += added;
    else { this.freeOff.push(end); this.freeLen.push(added); }
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    this.f32 = new Float32Array(buf);
    this.i32 = new Int32Array(buf);
    this.u32 = new Uint32Array(buf);
    this.u16 = new Uint16Array(buf);
    this.u8 = new Uint8Array(buf);
    this.generation++;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
