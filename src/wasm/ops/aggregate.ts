// Attention aggregation and selection (assembly/aggregate.ts): kernel signatures, their
// TypeScript fallback, and the tensor-level wrappers the KV policies call.
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/aggregate.ts";
import { expectDtype, f32At, i32At } from "./check.ts";
import { expectInts, f32Span } from "./attention.ts";

export interface AggregateKernels {
  attn_window_scores_f32(qw: number, k: number, out: number, scores: number, w: number, n_kv: number, head_dim: number,
                         n_group: number, q_stride: number, scale: number, mode: number): void;
  pool1d_f32(x: number, y: number, n: number, kernel: number, mode: number, r0: number, r1: number): void;
  topk_f32(x: number, n: number, k: number, idx_out: number, prefer_newer: number): void;
}

export function aggregateFallback(h: Heap): AggregateKernels {
  return {
    attn_window_scores_f32: (qw, k, out, _scores, w, n_kv, head_dim, n_group, q_stride, scale, mode) =>
      ref.attn_window_scores_f32(f32At(h, qw), f32At(h, k), f32At(h, out), w, n_kv, head_dim, n_group, q_stride, scale, mode),
    pool1d_f32: (x, y, n, kernel, mode, r0, r1) => ref.pool1d_f32(f32At(h, x), f32At(h, y), n, kernel, mode, r0, r1),
    topk_f32: (x, n, k, idx_out, prefer_newer) => ref.topk_f32(f32At(h, x), n, k, i32At(h, idx_out), prefer_newer),
  };
}

export interface WindowScoresOptions {
  w: number;            // window queries (clamped to nKv: a longer window is the whole sequence)
  nKv: number;
  headDim: number;
  nGroup: number;
  qStride: number;      // elements between window query rows
  scale: number;
  mode: "sum" | "mean";
  scores: Tensor;       // f32 scratch of >= nKv elements, overwritten (one query's softmax row)
  qOffset?: number;     // element offset of this KV head's group in the first window row of qw
  kOffset?: number;
  outOffset?: number;
}

// out (nGroup, nKv) = sum or mean over the last min(w, nKv) queries of each query head's causal
// softmax row; qw holds exactly those min(w, nKv) rows
export function attnWindowScores(out: Tensor, qw: Tensor, k: Tensor, o: WindowScoresOptions): void {
  const op = "attnWindowScores";
  expectInts(op, 0, { w: o.w, nKv: o.nKv });
  expectInts(op, 1, { headDim: o.headDim, nGroup: o.nGroup });
  if (o.mode !== "sum" && o.mode !== "mean") throw new RangeError(`${op}: mode "${o.mode}", expected "sum" or "mean"`);
  const gd = o.nGroup * o.headDim;
  if (!Number.isInteger(o.qStride) || o.qStride < gd) throw new RangeError(`${op}: qStride ${o.qStride} < nGroup * headDim = ${gd}`);
  const we = Math.min(o.w, o.nKv);
  const pq = f32Span(op, "qw", qw, o.qOffset ?? 0, we > 0 ? (we - 1) * o.qStride + gd : 0);
  const pk = f32Span(op, "k", k, o.kOffset ?? 0, o.nKv * o.headDim);
  const po = f32Span(op, "out", out, o.outOffset ?? 0, o.nGroup * o.nKv);
  const ps = f32Span(op, "scores", o.scores, 0, o.nKv);
  out.rt.k.attn_window_scores_f32(pq, pk, po, ps, o.w, o.nKv, o.headDim, o.nGroup, o.qStride, o.scale, o.mode === "mean" ? 1 : 0);
}

export interface Pool1dOptions {
  kernel: number;       // odd window size; 1 copies
  mode: "max" | "avg";
  r0?: number;          // rows [r0, r1), default all
  r1?: number;
}

// y = pool(x) along the last dimension of x (rows, n); y the same size, not overlapping x
export function pool1d(y: Tensor, x: Tensor, o: Pool1dOptions): void {
  const op = "pool1d";
  expectDtype(op, "x", x, "f32");
  expectDtype(op, "y", y, "f32");
  if (y.size !== x.size) throw new RangeError(`${op}: y has ${y.size} elements, x has ${x.size}`);
  const n = x.shape.length ? x.shape[x.shape.length - 1] : 1;
  const rows = n > 0 ? x.size / n : 0;
  const r0 = o.r0 ?? 0, r1 = o.r1 ?? rows;
  expectInts(op, 1, { kernel: o.kernel });
  expectInts(op, 0, { r0, r1 });
  if (o.kernel % 2 !== 1) throw new RangeError(`${op}: kernel ${o.kernel} must be odd`);
  if (o.mode !== "max" && o.mode !== "avg") throw new RangeError(`${op}: mode "${o.mode}", expected "max" or "avg"`);
  if (r0 > r1 || r1 > rows) throw new RangeError(`${op}: rows [${r0}, ${r1}) outside [0, ${rows})`);
  if (x.size > 0 && y.ptr < x.ptr + x.nbytes && x.ptr < y.ptr + y.nbytes) throw new RangeError(`${op}: y overlaps x`);
  y.rt.k.pool1d_f32(x.ptr, y.ptr, n, o.kernel, o.mode === "max" ? 0 : 1, r0, r1);
}

export interface TopkOptions {
  preferNewer?: boolean; // ties: higher index first (default: lower index first)
  n?: number;            // rank x[0 .. n) only, default all of x
}

// idx[0 .. min(k, n)) = positions of the k largest values of x, best first (NaN last);
// returns how many were written. idx is an i32 tensor with at least min(k, n) elements.
export function topkInto(idx: Tensor, x: Tensor, k: number, o: TopkOptions = {}): number {
  const op = "topk";
  const n = o.n ?? x.size;
  expectInts(op, 0, { k, n });
  const px = f32Span(op, "x", x, 0, n);
  expectDtype(op, "idx", idx, "i32");
  const kk = Math.min(k, n);
  if (idx.size < kk) throw new RangeError(`${op}: idx has ${idx.size} elements, needs ${kk}`);
  x.rt.k.topk_f32(px, n, kk, idx.ptr, o.preferNewer ? 1 : 0);
  return kk;
}

// a new Int32Array of the positions of the k largest values of x, best first
export function topk(x: Tensor, k: number, o: TopkOptions = {}): Int32Array {
  const kk = Math.min(k, o.n ?? x.size);
  const idx = x.rt.tensor("i32", [Math.max(kk, 0)]);
  try {
    const written = topkInto(idx, x, k, o);
    return idx.i32().slice(0, written);
  } finally {
    idx.dispose();
  }
}
