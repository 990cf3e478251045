// Shared argument checks and heap views for the op wrappers and the fallback kernels.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";

// f32 view of the heap starting at byte offset `ptr` (fallback kernels index from 0)
export function f32At(h: Heap, ptr: number): Float32Array {
  return h.f32.subarray(ptr >> 2);
}

export function i32At(h: Heap, ptr: number): Int32Array {
  return h.i32.subarray(ptr >> 2);
}

export function u8At(h: Heap, ptr: number): Uint8Array {
  return h.u8.subarray(ptr);
}

export function u16At(h: Heap, ptr: number): Uint16Array {
  return h.u16.subarray(ptr >> 1);
}

export function sameSize(op: string, ...ts: Tensor[]): void {
  const n = ts[0].size;
  for (const t of ts) {
    if (t.size !== n) throw new RangeError(`${op}: sizes differ (${ts.map((x) => x.size).join(" vs ")})`);
    if (t.dtype !== "f32") throw new TypeError(`${op}: expected f32 tensors, got ${t.dtype}`);
  }
}

export function expectDtype(op: string, name: string, t: Tensor, a: string, b?: string, c?: string): void {
  const d = t.dtype;
  if (d !== a && d !== b && d !== c) throw new TypeError(`${op}: ${name} is ${d}, expected ${[a, b, c].filter(Boolean).join(" or ")}`);
}

// 0 <= lo <= hi <= n, all integers: the [lo, hi) range a kernel call may touch
export function checkRange(op: string, what: string, lo: number, hi: number, n: number): void {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || lo > hi || hi > n) {
    throw new RangeError(`${op}: ${what} range [${lo}, ${hi}) is not within [0, ${n})`);
  }
}

// the tensor holds at least `n` elements (a caller may pass a larger buffer)
export function atLeast(op: string, name: string, t: Tensor, n: number): void {
  if (t.size < n) throw new RangeError(`${op}: ${name} has ${t.size} elements, needs at least ${n}`);
}

// throws unless x is an integer >= min (no allocation: used on the per-token path)
export function intAtLeast(op: string, name: string, x: number, min: number): void {
  if (!Number.isInteger(x) || x < min) throw new RangeError(`${op}: ${name} = ${x}, expected an integer >= ${min}`);
}
