// A tensor is a typed handle on a block of the kernel module's memory: dtype, shape, and
// explicit ownership. Whoever creates it calls dispose(). Views are cached until the memory grows.
import type { Runtime } from "./runtime.ts";
import type { Heap } from "./heap.ts";
import { type DType, bytesFor } from "./dtype.ts";

export class Tensor {
  readonly nbytes: number;
  private _ptr: number;
  private viewGen = -1;
  private _f32?: Float32Array;
  private _i32?: Int32Array;
  private _u8?: Uint8Array;

  readonly heap: Heap;

  constructor(readonly rt: Runtime, readonly dtype: DType, readonly shape: readonly number[]) {
    this.heap = rt.heap;
    this.nbytes = bytesFor(dtype, shape);
    this._ptr = rt.heap.alloc(this.nbytes);
  }

  // byte offset in linear memory; only src/wasm/ reads it
  get ptr(): number {
    if (this._ptr < 0) throw new Error("tensor used after dispose()");
    return this._ptr;
  }

  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  // bytes the allocator holds for this tensor (nbytes rounded up to the block alignment)
  get heapBytes(): number { return this.heap.sizeOf(this.ptr); }

  get disposed(): boolean { return this._ptr < 0; }

  // f32 view of the tensor's elements (dtype f32)
  f32(): Float32Array {
    this.check("f32");
    if (this.viewGen !== this.heap.generation || !this._f32) this.views();
    return this._f32!;
  }

  // i32 view (dtype i32)
  i32(): Int32Array {
    this.check("i32");
    if (this.viewGen !== this.heap.generation || !this._i32) this.views();
    return this._i32!;
  }

  // raw bytes (any dtype)
  bytes(): Uint8Array {
    if (this.viewGen !== this.heap.generation || !this._u8) this.views();
    return this._u8!;
  }

  // copies `src` into the tensor starting at element `at`
  write(src: ArrayLike<number>, at = 0): this {
    if (this.dtype === "f32") this.f32().set(src, at);
    else if (this.dtype === "i32") this.i32().set(src, at);
    else this.bytes().set(src, at);
    return this;
  }

  // a copy of the f32 contents
  toFloat32Array(): Float32Array {
    return this.f32().slice();
  }

  dispose(): void {
    if (this._ptr < 0) return;
    this.heap.free(this._ptr);
    this._ptr = -1;
    this._f32 = this._i32 = this._u8 = undefined;
  }

  private check(dtype: DType): void {
    if (this.dtype !== dtype) throw new TypeError(`tensor is ${this.dtype}, not ${dtype}`);
  }

  private views(): void {
    const p = this.ptr, h = this.heap;
    this._u8 = h.u8.subarray(p, p + this.nbytes);
    if (this.dtype === "f32") this._f32 = h.f32.subarray(p >> 2, (p >> 2) + this.size);
    if (this.dtype === "i32") this._i32 = h.i32.subarray(p >> 2, (p >> 2) + this.size);
    this.viewGen = h.generation;
  }
}
