// Attention over a compact KV cache: kernel signatures (assembly/attention.ts), their TypeScript
// fallback, and the tensor-level wrappers. Offsets are element offsets into the tensors, so one
// call per KV head can address its query group in a (n_heads * head_dim) vector and its K/V block
// in a larger cache tensor.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/attention.ts";
import { expectDtype, f32At, intAtLeast } from "./check.ts";

export interface AttentionKernels {
  attn_decode_f32(q: number, k: number, v: number, out: number, scores: number,
                  n_kv: number, head_dim: number, n_group: number, scale: number): void;
  attn_prefill_f32(q: number, k: number, v: number, out: number, scores: number, m: number, n_kv: number,
                   head_dim: number, n_group: number, q_stride: number, scale: number, i0: number, i1: number, acc: number, acc_from: number, acc_stride: number): void;
}

export function attentionFallback(h: Heap): AttentionKernels {
  return {
    attn_decode_f32: (q, k, v, out, scores, n_kv, head_dim, n_group, scale) =>
      ref.attn_decode_f32(f32At(h, q), f32At(h, k), f32At(h, v), f32At(h, out), f32At(h, scores), n_kv, head_dim, n_group, scale),
    attn_prefill_f32: (q, k, v, out, scores, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride) =>
      ref.attn_prefill_f32(f32At(h, q), f32At(h, k), f32At(h, v), f32At(h, out), f32At(h, scores),
        m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc ? f32At(h, acc) : undefined, acc_from, acc_stride),
  };
}

// Checks that `t` is f32 and holds elements [off, off + count); returns the byte address of element off
// (of element 0 when count is 0).
export function f32Span(op: string, name: string, t: Tensor, off: number, count: number): number {
  expectDtype(op, name, t, "f32");
  if (!Number.isInteger(off) || off < 0) throw new RangeError(`${op}: ${name} offset ${off} is not a non-negative integer`);
  if (count === 0) return t.ptr; // nothing is read or written
  if (off + count > t.size) throw new RangeError(`${op}: ${name} needs elements [${off}, ${off + count}), has ${t.size}`);
  return t.ptr + off * 4;
}

// Checks that every named value is an integer >= min.
export function expectInts(op: string, min: number, vals: Record<string, number>): void {
  for (const [name, x] of Object.entries(vals)) {
    if (!Number.isInteger(x) || x < min) throw new RangeError(`${op}: ${name} = ${x}, expected an integer >= ${min}`);
  }
}

export interface AttnDecodeOptions {
  nKv: number;          // valid cache rows
  headDim: number;
  nGroup: number;       // query heads per KV head
  scale: number;        // usually 1 / sqrt(headDim)
  scores: Tensor;       // (nGroup, nKv) scratch; holds the softmax weights on return
  qOffset?: number;     // element offset of the group in q
  outOffset?: number;   // element offset of the group in out
  kOffset?: number;     // element offset of the K block in k
  vOffset?: number;     // element offset of the V block in v
}

// out (nGroup, headDim) = attention of q (nGroup, headDim) over K, V (nKv, headDim); nKv = 0 gives 0
export function attnDecode(out: Tensor, q: Tensor, k: Tensor, v: Tensor, o: AttnDecodeOptions): void {
  const op = "attnDecode";
  intAtLeast(op, "nKv", o.nKv, 0);
  intAtLeast(op, "headDim", o.headDim, 1);
  intAtLeast(op, "nGroup", o.nGroup, 1);
  const gd = o.nGroup * o.headDim, kd = o.nKv * o.headDim;
  const pq = f32Span(op, "q", q, o.qOffset ?? 0, gd);
  const po = f32Span(op, "out", out, o.outOffset ?? 0, gd);
  const pk = f32Span(op, "k", k, o.kOffset ?? 0, kd);
  const pv = f32Span(op, "v", v, o.vOffset ?? 0, kd);
  const ps = f32Span(op, "scores", o.scores, 0, o.nGroup * o.nKv);
  out.rt.k.attn_decode_f32(pq, pk, pv, po, ps, o.nKv, o.headDim, o.nGroup, o.scale);
}

export interface AttnPrefillOptions {
  m: number;            // query tokens in the chunk: the last m of the nKv cache rows
  nKv: number;
  headDim: number;
  nGroup: number;
  qStride: number;      // elements between query rows (n_heads * headDim)
  scale: number;
  scores: Tensor;       // (nKv) scratch
  qOffset?: number;     // element offset of this KV head's group in q (and out, unless outOffset)
  outOffset?: number;
  kOffset?: number;
  vOffset?: number;
  i0?: number;          // query rows [i0, i1), default all m
  i1?: number;
  // optional: rows i >= accFrom add their softmax weights into acc (nGroup, accStride) at accOffset
  acc?: Tensor;
  accFrom?: number;
  accStride?: number;
  accOffset?: number;
}

// out (m, qStride) group block = causal attention of q (m, qStride) group block over K, V (nKv, headDim)
export function attnPrefill(out: Tensor, q: Tensor, k: Tensor, v: Tensor, o: AttnPrefillOptions): void {
  const op = "attnPrefill";
  const i0 = o.i0 ?? 0, i1 = o.i1 ?? o.m;
  expectInts(op, 0, { m: o.m, nKv: o.nKv, i0, i1 });
  expectInts(op, 1, { headDim: o.headDim, nGroup: o.nGroup });
  if (o.m > o.nKv) throw new RangeError(`${op}: m = ${o.m} query tokens but only nKv = ${o.nKv} cache rows`);
  if (i0 > i1 || i1 > o.m) throw new RangeError(`${op}: rows [${i0}, ${i1}) outside [0, ${o.m})`);
  const gd = o.nGroup * o.headDim;
  if (!Number.isInteger(o.qStride) || o.qStride < gd) throw new RangeError(`${op}: qStride ${o.qStride} < nGroup * headDim = ${gd}`);
  const span = o.m > 0 ? (o.m - 1) * o.qStride + gd : 0;
  const qOff = o.qOffset ?? 0;
  const pq = f32Span(op, "q", q, qOff, span);
  const po = f32Span(op, "out", out, o.outOffset ?? qOff, span);
  const kd = o.nKv * o.headDim;
  const pk = f32Span(op, "k", k, o.kOffset ?? 0, kd);
  const pv = f32Span(op, "v", v, o.vOffset ?? 0, kd);
  const ps = f32Span(op, "scores", o.scores, 0, o.nKv);
  let pa = 0, accFrom = 0, accStride = 0;
  if (o.acc) {
    accFrom = o.accFrom ?? 0;
    accStride = o.accStride ?? o.nKv;
    if (accStride < o.nKv) throw new RangeError(`${op}: accStride ${accStride} < nKv ${o.nKv}`);
    pa = f32Span(op, "acc", o.acc, o.accOffset ?? 0, (o.nGroup - 1) * accStride + o.nKv);
  }
  out.rt.k.attn_prefill_f32(pq, pk, pv, po, ps, o.m, o.nKv, o.headDim, o.nGroup, o.qStride, o.scale, i0, i1, pa, accFrom, accStride);
}
