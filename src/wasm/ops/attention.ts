// Attention over a compact KV cache: kernel signatures (assembly/attention.ts), their TypeScript
// fallback, and the tensor-level wrappers. Offsets are element offsets (values, for K and V of any
// KV type: a whole number of rows unless f32), so one call per KV head can address its query
// group in a (n_heads * head_dim) vector and its K/V block in a larger cache tensor.
// K and V hold rows of one KV type (src/kv/kv-type.ts): an f32 tensor (rows, headDim) for "f32",
// a u8 tensor (rows, rowBytes) for "f16" and "q8_0" (row formats: assembly/kvrows.ts).
import type { Heap } from "../heap.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/attention.ts";
import * as refkv from "../../ref/kvrows.ts";
import { KV_TYPES, type KVType, kvRowBytes } from "../../kv/kv-type.ts";
import { expectDtype, f32At, i32At, intAtLeast, u8At } from "./check.ts";
import { RES_TABLE_ENTRIES } from "./attnres.ts";

type Decode = (q: number, k: number, v: number, out: number, scores: number,
               n_kv: number, head_dim: number, n_group: number, scale: number) => void;
type Prefill = (q: number, k: number, v: number, out: number, scores: number, m: number, n_kv: number,
                head_dim: number, n_group: number, q_stride: number, scale: number, i0: number, i1: number,
                acc: number, acc_from: number, acc_stride: number) => void;

type DecodeHeads = (q: number, out: number, heads: number, scores: number, score_stride: number,
                    u0: number, u1: number, head_dim: number, n_group: number, scale: number) => void;

export type AttentionKernels = { [K in `attn_decode_${KVType}`]: Decode } & { [K in `attn_prefill_${KVType}`]: Prefill } &
  { [K in `attn_decode_heads_${KVType}`]: DecodeHeads };

// attn_decode_heads_<t> (assembly/attnheads.ts) over the fallback's attn_decode_<t>: the same loop
// over the query groups that query heads [u0, u1) touch
function decodeHeads(h: Heap, decode: Decode): DecodeHeads {
  return (q, out, heads, scores, score_stride, u0, u1, head_dim, n_group, scale) => {
    for (let u = u0; u < u1;) {
      const kh = Math.floor(u / n_group), first = kh * n_group, g0 = u - first, g1 = Math.min(n_group, u1 - first);
      const e = i32At(h, heads + kh * 12), n = e[2], o = u * head_dim * 4;
      decode(q + o, e[0] >>> 0, e[1] >>> 0, out + o, scores + (first * score_stride + g0 * n) * 4, n, head_dim, g1 - g0, scale);
      u = first + g1;
    }
  };
}

export function attentionFallback(h: Heap): AttentionKernels {
  const f32: Partial<AttentionKernels> = {
    attn_decode_f32: (q, k, v, out, scores, n_kv, head_dim, n_group, scale) =>
      ref.attn_decode_f32(f32At(h, q), f32At(h, k), f32At(h, v), f32At(h, out), f32At(h, scores), n_kv, head_dim, n_group, scale),
    attn_prefill_f32: (q, k, v, out, scores, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride) =>
      ref.attn_prefill_f32(f32At(h, q), f32At(h, k), f32At(h, v), f32At(h, out), f32At(h, scores),
        m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc ? f32At(h, acc) : undefined, acc_from, acc_stride),
  };
  for (const t of ["f16", "q8_0"] as const) {
    f32[`attn_decode_${t}`] = (q, k, v, out, scores, n_kv, head_dim, n_group, scale) =>
      refkv.attn_decode_kv(t, f32At(h, q), u8At(h, k), u8At(h, v), f32At(h, out), f32At(h, scores), n_kv, head_dim, n_group, scale);
    f32[`attn_prefill_${t}`] = (q, k, v, out, scores, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride) =>
      refkv.attn_prefill_kv(t, f32At(h, q), u8At(h, k), u8At(h, v), f32At(h, out), f32At(h, scores),
        m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc ? f32At(h, acc) : undefined, acc_from, acc_stride);
  }
  for (const t of KV_TYPES) f32[`attn_decode_heads_${t}`] = decodeHeads(h, f32[`attn_decode_${t}`]!);
  return f32 as AttentionKernels;
}

// kernel names by KV type, so the per-token path builds no strings
const DECODE = { f32: "attn_decode_f32", f16: "attn_decode_f16", q8_0: "attn_decode_q8_0" } as const;
const PREFILL = { f32: "attn_prefill_f32", f16: "attn_prefill_f16", q8_0: "attn_prefill_q8_0" } as const;
export const DECODE_HEADS = { f32: "attn_decode_heads_f32", f16: "attn_decode_heads_f16", q8_0: "attn_decode_heads_q8_0" } as const;

// Checks that the K or V block `t` holds `count` rows of KV type `type` from value `off` on and
// returns the byte address of value off (row 0 when count is 0). No allocation: per-token path.
export function kvSpan(op: string, name: string, t: Tensor, type: KVType, headDim: number, off: number, count: number): number {
  if (type === "f32") return f32Span(op, name, t, off, count * headDim);
  if (!KV_TYPES.includes(type)) throw new RangeError(`${op}: KV type "${type}", expected ${KV_TYPES.join(", ")}`);
  expectDtype(op, name, t, "u8");
  const rb = kvRowBytes(type, headDim);
  if (!Number.isInteger(off) || off < 0 || off % headDim !== 0) throw new RangeError(`${op}: ${name} offset ${off} is not a whole number of ${type} rows of ${headDim}`);
  off /= headDim;
  if (count === 0) return t.ptr;
  if ((off + count) * rb > t.size) throw new RangeError(`${op}: ${name} needs ${type} rows [${off}, ${off + count}) of ${rb} bytes, has ${t.size} bytes`);
  return t.ptr + off * rb;
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

// The window rows of a residual (0 for none), checked against the KV type and nKv.
function residualRows(op: string, r: KVResidual | undefined, t: KVType, nKv: number): number {
  const nw = r && r.nw > 0 ? r.nw : 0;
  if (nw > 0 && t !== "q8_0") throw new RangeError(`${op}: a residual window is for q8_0 rows, not ${t}`);
  if (!Number.isInteger(nw) || nw > nKv) throw new RangeError(`${op}: residual window of ${nw} rows but nKv = ${nKv}`);
  return nw;
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
  kOffset?: number;     // element offset of the K block in k (whole rows unless f32)
  vOffset?: number;     // element offset of the V block in v
  type?: KVType;        // K and V rows (default f32)
  residual?: KVResidual; // q8_0 only: the newest nw of the nKv rows are the window's (as attnPrefill)
}

// out (nGroup, headDim) = attention of q (nGroup, headDim) over K, V (nKv, headDim); nKv = 0 gives 0
export function attnDecode(out: Tensor, q: Tensor, k: Tensor, v: Tensor, o: AttnDecodeOptions): void {
  const op = "attnDecode";
  intAtLeast(op, "nKv", o.nKv, 0);
  intAtLeast(op, "headDim", o.headDim, 1);
  intAtLeast(op, "nGroup", o.nGroup, 1);
  const gd = o.nGroup * o.headDim;
  const pq = f32Span(op, "q", q, o.qOffset ?? 0, gd);
  const po = f32Span(op, "out", out, o.outOffset ?? 0, gd);
  const t = o.type ?? "f32";
  const nw = residualRows(op, o.residual, t, o.nKv);
  const pk = kvSpan(op, "k", k, t, o.headDim, o.kOffset ?? 0, o.nKv - nw);
  const pv = kvSpan(op, "v", v, t, o.headDim, o.vOffset ?? 0, o.nKv - nw);
  const ps = f32Span(op, "scores", o.scores, 0, o.nGroup * o.nKv);
  if (nw > 0) {
    const r = o.residual!, w0 = r.w0 * o.headDim;
    out.rt.k.attn_decode_q8_0_res(pq, pk, pv, o.nKv - nw, kvSpan(op, "residual wk", r.wk!, "f16", o.headDim, w0, nw), kvSpan(op, "residual wv", r.wv!, "f16", o.headDim, w0, nw), nw,
      po, ps, o.headDim, o.nGroup, o.scale);
    return;
  }
  out.rt.k[DECODE[t]](pq, pk, pv, po, ps, o.nKv, o.headDim, o.nGroup, o.scale);
}

export interface AttnPrefillOptions {
  m: number;            // query tokens in the chunk: the last m of the nKv cache rows
  nKv: number;
  headDim: number;
  nGroup: number;
  qStride: number;      // elements between query rows (n_heads * headDim)
  scale: number;
  scores: Tensor;       // scratch of attnPrefillScoresFloats(type, nKv): (nKv), (2, nKv) for f32 rows
  qOffset?: number;     // element offset of this KV head's group in q (and out, unless outOffset)
  outOffset?: number;
  kOffset?: number;     // element offsets of the K and V blocks (whole rows unless f32)
  vOffset?: number;
  type?: KVType;        // K and V rows (default f32)
  i0?: number;          // query rows [i0, i1), default all m
  i1?: number;
  // q8_0 only: the head's residual window (kv/store.ts); with window rows (nw > 0) nKv counts the
  // k, v blocks' nKv - nw Q8_0 rows and then the window's f16 rows wk, wv [w0, w0 + nw)
  residual?: KVResidual;
  // optional: rows i >= accFrom add their softmax weights into acc (nGroup, accStride) at accOffset
  acc?: Tensor;
  accFrom?: number;
  accStride?: number;
  accOffset?: number;
}

// floats of attnPrefill's scores scratch: f32 rows take the chunk's query heads two at a time
// (attention.ts attn_prefill_pairs_f32), the other row types one at a time
export function attnPrefillScoresFloats(type: KVType, nKv: number): number {
  return type === "f32" ? 2 * nKv : nKv;
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
  const t = o.type ?? "f32";
  const r = o.residual, nw = residualRows(op, r, t, o.nKv);
  const pk = kvSpan(op, "k", k, t, o.headDim, o.kOffset ?? 0, o.nKv - nw);
  const pv = kvSpan(op, "v", v, t, o.headDim, o.vOffset ?? 0, o.nKv - nw);
  const ps = f32Span(op, "scores", o.scores, 0, attnPrefillScoresFloats(t, o.nKv));
  let pa = 0, accFrom = 0, accStride = 0;
  if (o.acc) {
    accFrom = o.accFrom ?? 0;
    accStride = o.accStride ?? o.nKv;
    if (accStride < o.nKv) throw new RangeError(`${op}: accStride ${accStride} < nKv ${o.nKv}`);
    pa = f32Span(op, "acc", o.acc, o.accOffset ?? 0, (o.nGroup - 1) * accStride + o.nKv);
  }
  if (nw > 0) {
    const pwk = kvSpan(op, "residual wk", r!.wk!, "f16", o.headDim, r!.w0 * o.headDim, nw), pwv = kvSpan(op, "residual wv", r!.wv!, "f16", o.headDim, r!.w0 * o.headDim, nw);
    out.rt.k.attn_prefill_q8_0_res(pq, pk, pv, pwk, pwv, po, ps, o.m, o.nKv - nw, nw, o.headDim, o.nGroup, o.qStride, o.scale, i0, i1, pa, accFrom, accStride);
    return;
  }
  out.rt.k[PREFILL[t]](pq, pk, pv, po, ps, o.m, o.nKv, o.headDim, o.nGroup, o.qStride, o.scale, i0, i1, pa, accFrom, accStride);
}

// A Q8_0 head's residual window (a KVStore head is one): its newest nw rows as f16 rows [w0, w0 + nw)
// of wk and wv, u8 tensors (rows, 2 * headDim) (kv/store.ts); nw = 0 (or no wk) for none
export interface KVResidual { nw: number; w0: number; wk?: Tensor; wv?: Tensor }

// One KV head's cache block as decode reads it: the first n rows of k and v (a KVStore head is
// one); with a residual window (q8_0), the first n - nw rows of k and v, then the window's nw.
export interface KVBlock { k: Tensor; v: Tensor; n: number; nw?: number; w0?: number; wk?: Tensor; wv?: Tensor }

// whether any block holds residual window rows (then decode takes attn_decode_heads_q8_0_res)
export function hasResidual(blocks: readonly KVBlock[]): boolean {
  for (let h = 0; h < blocks.length; h++) if ((blocks[h].nw ?? 0) > 0) return true;
  return false;
}

// the decode kernel for these blocks
export function decodeHeadsName(blocks: readonly KVBlock[], type: KVType): "attn_decode_heads_q8_0_res" | (typeof DECODE_HEADS)[KVType] {
  return type === "q8_0" && hasResidual(blocks) ? "attn_decode_heads_q8_0_res" : DECODE_HEADS[type];
}

export interface AttnDecodeHeadsOptions {
  headDim: number;
  nGroup: number;       // query heads per KV head
  scale: number;        // usually 1 / sqrt(headDim)
  scores: Tensor;       // (nKvHeads, nGroup, scoreStride) f32: KV head h's softmax weights, (nGroup, n_h)
                        // rows n_h apart, at h * nGroup * scoreStride on return
  scoreStride: number;  // >= every block's n (the context size)
  table: Tensor;        // i32 (>= nKvHeads * 3; * 6 with residual windows) scratch: filled with each
                        // block's K and V address and n (and its window's, attnres.ts)
  type?: KVType;        // K and V rows (default f32)
}

// Checks attnDecodeHeads' arguments and fills o.table (no allocation: per-token path); returns the
// number of query heads, blocks.length * nGroup.
export function decodeHeadsTable(op: string, out: Tensor, q: Tensor, blocks: readonly KVBlock[], o: AttnDecodeHeadsOptions): number {
  intAtLeast(op, "headDim", o.headDim, 1);
  intAtLeast(op, "nGroup", o.nGroup, 1);
  intAtLeast(op, "scoreStride", o.scoreStride, 0);
  const nKvHeads = blocks.length, nHeads = nKvHeads * o.nGroup, t = o.type ?? "f32";
  f32Span(op, "q", q, 0, nHeads * o.headDim);
  f32Span(op, "out", out, 0, nHeads * o.headDim);
  f32Span(op, "scores", o.scores, 0, nHeads * o.scoreStride);
  expectDtype(op, "table", o.table, "i32");
  const res = t === "q8_0" && hasResidual(blocks), per = res ? RES_TABLE_ENTRIES : 3;
  if (o.table.size < nKvHeads * per) throw new RangeError(`${op}: table holds ${o.table.size} entries, needs ${per} per KV head = ${nKvHeads * per}`);
  const tab = o.table.i32();
  for (let h = 0; h < nKvHeads; h++) {
    const b = blocks[h], nw = b.nw ?? 0;
    intAtLeast(op, "n", b.n, 0);
    if (b.n > o.scoreStride) throw new RangeError(`${op}: KV head ${h} holds ${b.n} rows, more than scoreStride ${o.scoreStride}`);
    if (nw > 0 && t !== "q8_0") throw new RangeError(`${op}: KV head ${h} has a residual window, which is for q8_0 rows, not ${t}`);
    if (!(Number.isInteger(nw) && nw >= 0 && nw <= b.n)) throw new RangeError(`${op}: KV head ${h} has ${nw} residual rows of its ${b.n}`);
    tab[h * per] = kvSpan(op, "k", b.k, t, o.headDim, 0, b.n - nw);
    tab[h * per + 1] = kvSpan(op, "v", b.v, t, o.headDim, 0, b.n - nw);
    tab[h * per + 2] = b.n - nw;
    if (res) {
      const w0 = (b.w0 ?? 0) * o.headDim;
      tab[h * per + 3] = nw > 0 ? kvSpan(op, "residual wk", b.wk!, "f16", o.headDim, w0, nw) : 0;
      tab[h * per + 4] = nw > 0 ? kvSpan(op, "residual wv", b.wv!, "f16", o.headDim, w0, nw) : 0;
      tab[h * per + 5] = nw;
    }
  }
  return nHeads;
}

// out (nHeads, headDim) = decode attention of q (nHeads, headDim), query head u over blocks[u / nGroup]:
// one attnDecode per KV head in one kernel call; the weights land in o.scores per KV head
export function attnDecodeHeads(out: Tensor, q: Tensor, blocks: readonly KVBlock[], o: AttnDecodeHeadsOptions): void {
  const nHeads = decodeHeadsTable("attnDecodeHeads", out, q, blocks, o);
  out.rt.k[decodeHeadsName(blocks, o.type ?? "f32")](q.ptr, out.ptr, o.table.ptr, o.scores.ptr, o.scoreStride, 0, nHeads, o.headDim, o.nGroup, o.scale);
}
