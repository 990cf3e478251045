// Linear layers split across worker threads by output rows, prefill attention by query rows and
// decode attention by query heads. A prefill chunk's gemm packs its X once (splitPackX, rows
// split) into a buffer every thread reads, then takes the output columns in parts of whole
// 8-row panels from a shared counter (splitGemmPX); silu * mul splits by elements.
// The single-thread wrappers check the arguments (called on an empty range), then the pool runs
// the row ranges.
import type { Tensor } from "../tensor.ts";
import type { ThreadPool } from "../threads.ts";
import type { Kernels } from "../kernels.ts";
import { GEMM_PX_KERNELS, PACKED_ROWS_ALIGN, gemm, gemmPX, gemmPXName, gemv, packX } from "./matmul.ts";
import { siluMul } from "./activation.ts";
import { DECODE_HEADS, attnPrefill, attnPrefillScoresFloats, decodeHeadsName, decodeHeadsTable, kvSpan, type AttnDecodeHeadsOptions, type AttnPrefillOptions, type KVBlock } from "./attention.ts";
import { INT_DOT_GEMV, QGEMM_PANEL, gemmQ, gemvQ, gemvQInt, intDotAct, quantizeRows, type IntDotDType, type QKernelDType } from "./qmatmul.ts";

// kernels a pool must be able to run for splitLinear
export const LINEAR_KERNELS: (keyof Kernels)[] = [
  "gemv_f32", "gemm_f32",
  "gemv_q8_0", "gemv_q4_0", "gemv_q4_k", "gemv_q6_k", "gemv_q5_0",
  "gemm_q8_0", "gemm_q4_0", "gemm_q4_k", "gemm_q6_k", "gemm_q5_0",
  ...Object.values(INT_DOT_GEMV),
  "pack_x", ...GEMM_PX_KERNELS, "silu_mul_f32",
];

// How a kernel's arguments split across threads, by name: `at` gives each argument's position
// in the kernel's signature; the pool cuts [0, total) of the `range` argument and the one after
// it (start, end) into parts that start at multiples of `align`, and gives thread t its own
// buffer in the `scratch` argument. Built once per signature, so a split allocates nothing.
interface SplitTable<A extends string> {
  readonly nargs: number;
  readonly at: Readonly<Record<A, number>>;
  readonly rangeAt: number;
  readonly align: number;
  readonly scratchAt: number; // -1: no scratch argument
}

function splitTable<A extends string>(args: readonly A[], range: A, align: number, scratch?: A): SplitTable<A> {
  const at = Object.fromEntries(args.map((a, i) => [a, i])) as Record<A, number>;
  if (at[range] + 1 >= args.length) throw new Error(`splitTable: range start ${range} has no end argument after it`);
  return { nargs: args.length, at, rangeAt: at[range], align, scratchAt: scratch === undefined ? -1 : at[scratch] };
}

// Output rows per part: a multiple of 4 (any value gives the same bits, since every output row
// is summed the same way whatever its range; 4 keeps a part's first y row on a 16-byte boundary).
const ROW_ALIGN = 4;

// gemv_f32, gemv_<q>(W, x, y, n_in, r0, r1), gemv_<q>_<a>(W, xq, y, ...) (xq in the x slot): rows [r0, r1) of y
const GEMV = splitTable(["W", "x", "y", "n_in", "r0", "r1"], "r0", ROW_ALIGN);
// gemm_f32(X, W, Y, S, m, n_in, n_out, n0, n1): output columns [n0, n1) of Y; S is each
// thread's packed-panel scratch
const GEMM_F32 = splitTable(["X", "W", "Y", "S", "m", "n_in", "n_out", "n0", "n1"], "n0", ROW_ALIGN, "S");
// gemm_<q>(X, W, Y, S, m, n_in, n_out, n0, n1): output columns [n0, n1) of Y, whole decoded
// panels per part; S is each thread's panel scratch
const GEMM_Q = splitTable(["X", "W", "Y", "S", "m", "n_in", "n_out", "n0", "n1"], "n0", QGEMM_PANEL, "S");

// pack_x(X, PX, m, n_in, align, r0, r1): rows [r0, r1) of X packed into the shared PX, parts of
// whole 30-row groups (PACKED_ROWS_ALIGN)
const PACK_X = splitTable(["X", "PX", "m", "n_in", "align", "r0", "r1"], "r0", PACKED_ROWS_ALIGN);
// gemm_f32_px, gemm_<q>_px(PX, W, Y, S, m, n_in, n_out, n0, n1): output columns [n0, n1) of Y over
// the shared packed X, in whole panels of 8 W rows; S is each thread's W-panel scratch
const GEMM_PX = splitTable(["PX", "W", "Y", "S", "m", "n_in", "n_out", "n0", "n1"], "n0", 8, "S");

const GEMV_Q = { q8_0: "gemv_q8_0", q4_0: "gemv_q4_0", q4_k: "gemv_q4_k", q6_k: "gemv_q6_k", q5_0: "gemv_q5_0" } as const satisfies Record<QKernelDType, keyof Kernels>;
const GEMM_Q_NAME = { q8_0: "gemm_q8_0", q4_0: "gemm_q4_0", q4_k: "gemm_q4_k", q6_k: "gemm_q6_k", q5_0: "gemm_q5_0" } as const satisfies Record<QKernelDType, keyof Kernels>;

function run<A extends string>(pool: ThreadPool, name: keyof Kernels, s: SplitTable<A>, total: number, scratch?: readonly Tensor[]): void {
  pool.split(name, s.nargs, s.rangeAt, total, s.align, s.scratchAt, scratch);
}

// Y (m, n_out) = X (m, n_in) @ W^T over the pool's threads; scratch[t]: thread t's panel buffer
// for gemm (linearScratchFloats(n_in, m) floats each: the f32 gemm's and the quantized gemm's); xq: one quantized activation row
// (actScratchBytes), where an integer-dot gemv's activation is quantized once, here, before the split.
export function splitLinear(pool: ThreadPool, y: Tensor, W: Tensor, x: Tensor, m: number, scratch: readonly Tensor[], xq: Tensor): void {
  const [n_out, n_in] = W.shape;
  const a = pool.argv;
  const quant = W.dtype !== "f32";
  const act = m === 1 ? intDotAct(W.dtype) : undefined;
  if (act !== undefined) {
    quantizeRows(act, xq, x, n_in, 1);
    gemvQInt(y, W, xq, 0, 0);
    const g = GEMV.at;
    a[g.W] = W.ptr; a[g.x] = xq.ptr; a[g.y] = y.ptr; a[g.n_in] = n_in;
    run(pool, INT_DOT_GEMV[W.dtype as IntDotDType], GEMV, n_out);
  } else if (m === 1) {
    if (quant) gemvQ(y, W, x, 0, 0);
    else gemv(y, W, x, 0, 0);
    const g = GEMV.at;
    a[g.W] = W.ptr; a[g.x] = x.ptr; a[g.y] = y.ptr; a[g.n_in] = n_in;
    run(pool, quant ? GEMV_Q[W.dtype as QKernelDType] : "gemv_f32", GEMV, n_out);
  } else if (!quant) {
    gemm(y, x, W, scratch[0], m, 0, 0);
    const g = GEMM_F32.at;
    a[g.X] = x.ptr; a[g.W] = W.ptr; a[g.Y] = y.ptr; a[g.m] = m; a[g.n_in] = n_in; a[g.n_out] = n_out;
    run(pool, "gemm_f32", GEMM_F32, n_out, scratch);
  } else {
    gemmQ(y, x, W, scratch[0], m, 0, 0);
    const g = GEMM_Q.at;
    a[g.X] = x.ptr; a[g.W] = W.ptr; a[g.Y] = y.ptr; a[g.m] = m; a[g.n_in] = n_in; a[g.n_out] = n_out;
    run(pool, GEMM_Q_NAME[W.dtype as QKernelDType], GEMM_Q, n_out, scratch);
  }
}

// PX = X (m, n_in) packed whole (packX), its rows split over the pool's threads
export function splitPackX(pool: ThreadPool, PX: Tensor, X: Tensor, m: number, align: number): void {
  packX(PX, X, m, align, 0, 0); // checks every argument (an empty part packs nothing)
  const a = pool.argv, g = PACK_X.at;
  a[g.X] = X.ptr; a[g.PX] = PX.ptr; a[g.m] = m; a[g.n_in] = X.shape[1]; a[g.align] = align;
  run(pool, "pack_x", PACK_X, m);
}

// Y (m, n_out) = X @ W^T over the pool's threads from X packed whole in PX (splitPackX with
// packAlign(W.dtype)), output columns in parts of whole panels taken dynamically; scratch[t]: thread t's W-panel buffer
// (GEMM_PX_SCRATCH_FLOATS). Every thread reads the one packed X, so none packs it again.
export function splitGemmPX(pool: ThreadPool, y: Tensor, PX: Tensor, W: Tensor, m: number, scratch: readonly Tensor[]): void {
  gemmPX(y, PX, W, scratch[0], m, 0, 0); // checks every argument (an empty column range computes nothing)
  const [n_out, n_in] = W.shape;
  const a = pool.argv, g = GEMM_PX.at;
  a[g.PX] = PX.ptr; a[g.W] = W.ptr; a[g.Y] = y.ptr; a[g.m] = m; a[g.n_in] = n_in; a[g.n_out] = n_out;
  // parts of whole panels, about GEMM_PARTS_PER_THREAD per thread, taken in turn (a thread whose
  // core is busy with other work takes fewer); the bits do not depend on the parts
  const grain = Math.max(8, Math.ceil(n_out / (pool.threads * GEMM_PARTS_PER_THREAD) / 8) * 8);
  pool.splitDynamic(gemmPXName(W.dtype), GEMM_PX.nargs, GEMM_PX.rangeAt, n_out, grain, GEMM_PX.scratchAt, scratch);
}
// column parts per thread of a prefill gemm (8: 16 parts of 96 columns for 1536 outputs on 2 threads)
export const GEMM_PARTS_PER_THREAD = 8;

// silu_mul_f32(a, b, y, i0, i1): elements [i0, i1), parts starting at multiples of 4, so every
// element takes the vector or scalar path it takes in one call (the same bits)
const SILU_MUL = splitTable(["a", "b", "y", "i0", "i1"], "i0", 4);
// elements below which siluMul stays on the calling thread (a decode row: 1536 on the 135M shape)
export const SILU_SPLIT_MIN = 1 << 14;

// y = silu(a) * b over elements [0, n) (siluMul), split over the pool's threads from SILU_SPLIT_MIN
export function splitSiluMul(pool: ThreadPool, y: Tensor, a: Tensor, b: Tensor, n: number): void {
  siluMul(y, a, b, n < SILU_SPLIT_MIN ? 0 : n, n); // checks every argument (an empty range [n, n) computes nothing)
  if (n < SILU_SPLIT_MIN) return;
  const v = pool.argv, g = SILU_MUL.at;
  v[g.a] = a.ptr; v[g.b] = b.ptr; v[g.y] = y.ptr;
  run(pool, "silu_mul_f32", SILU_MUL, n);
}

// attn_prefill_<t>(q, k, v, out, scores, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc,
// acc_from, acc_stride), t = f32, f16, q8_0: query rows [i0, i1) of one KV head's group; scores is
// each thread's (n_kv) buffer of its own ((2, n_kv) for f32) (the only scratch: the query stays f32 for every KV type)
const ATTN_PREFILL = splitTable(["q", "k", "v", "out", "scores", "m", "n_kv", "head_dim", "n_group", "q_stride", "scale", "i0", "i1", "acc", "acc_from", "acc_stride"], "i0", 1, "scores");

// attn_prefill_q8_0_res (assembly/attnres.ts): the same rows over a Q8_0 head with a residual window
const ATTN_PREFILL_RES = splitTable(["q", "k", "v", "wk", "wv", "out", "scores", "m", "nq", "nw", "head_dim", "n_group", "q_stride", "scale", "i0", "i1", "acc", "acc_from", "acc_stride"], "i0", 1, "scores");

// kernels a pool must be able to run for splitLinear, splitAttnPrefill and splitAttnDecode
const ATTN_PREFILL_NAME = { f32: "attn_prefill_f32", f16: "attn_prefill_f16", q8_0: "attn_prefill_q8_0" } as const;
export const POOL_KERNELS: (keyof Kernels)[] = [...LINEAR_KERNELS, ...Object.values(ATTN_PREFILL_NAME), ...Object.values(DECODE_HEADS),
  "attn_prefill_q8_0_res", "attn_decode_heads_q8_0_res"];

// multiply-adds of one KV head's prefill below which the hand-off to the pool (tens of
// microseconds) costs more than it saves
export const ATTN_SPLIT_MIN_WORK = 1 << 18;

// Where causal attention's query rows [0, m) split into `threads` parts of equal work: row i
// reads nPast + i + 1 keys (nPast = nKv - m), so part t ends where the running sum of those
// reaches (t + 1) / threads of the total. cuts (threads + 1 entries) receives the bounds.
export function causalCuts(cuts: Int32Array, threads: number, m: number, nKv: number): void {
  const nPast = nKv - m, total = m * nPast + (m * (m + 1)) / 2;
  cuts[0] = 0;
  let i = 0, sum = 0;
  for (let t = 1; t < threads; t++) {
    const target = (total * t) / threads;
    while (i < m && sum + nPast + i + 1 <= target) sum += nPast + ++i;
    cuts[t] = i;
  }
  cuts[threads] = m;
}

// attnPrefill (one KV head's group, all m query rows) with the rows split over the pool in parts
// of equal work; scratch[t] is thread t's scores buffer (>= attnPrefillScoresFloats(type, nKv) floats; scratch[0] may be
// o.scores), cuts a (threads + 1) buffer. Rows are computed as attnPrefill computes them, so the
// result has the same bits. With an accumulator (o.acc: a policy's query window adds its softmax
// weights to shared rows) the rows are not split: threads would add to the same cells.
export function splitAttnPrefill(pool: ThreadPool, out: Tensor, q: Tensor, k: Tensor, v: Tensor, o: AttnPrefillOptions, scratch: readonly Tensor[], cuts: Int32Array): void {
  const nGroup = o.nGroup, headDim = o.headDim, m = o.m;
  const work = nGroup * headDim * (m * (o.nKv - m) + (m * (m + 1)) / 2);
  if (o.acc || o.i0 !== undefined || o.i1 !== undefined || work < ATTN_SPLIT_MIN_WORK || m < pool.threads) { attnPrefill(out, q, k, v, o); return; }
  // checks every argument (an empty row range computes nothing)
  o.i0 = 0; o.i1 = 0;
  try { attnPrefill(out, q, k, v, o); } finally { o.i0 = undefined; o.i1 = undefined; }
  const type = o.type ?? "f32", need = attnPrefillScoresFloats(type, o.nKv);
  for (let t = 0; t < pool.threads; t++) if (scratch[t].size < need) throw new RangeError(`splitAttnPrefill: scratch[${t}] holds ${scratch[t].size} floats, needs ${need} (nKv = ${o.nKv}, ${type} rows)`);
  const qOff = o.qOffset ?? 0, nw = o.residual?.nw ?? 0;
  causalCuts(cuts, pool.threads, m, o.nKv);
  if (nw > 0) {
    // a residual window (checked by attnPrefill above): Q8_0 rows, then the window's f16 rows
    const a = pool.argv, g = ATTN_PREFILL_RES.at, r = o.residual!, w0 = r.w0 * headDim;
    a[g.q] = q.ptr + qOff * 4;
    a[g.k] = kvSpan("splitAttnPrefill", "k", k, type, headDim, o.kOffset ?? 0, o.nKv - nw);
    a[g.v] = kvSpan("splitAttnPrefill", "v", v, type, headDim, o.vOffset ?? 0, o.nKv - nw);
    a[g.wk] = kvSpan("splitAttnPrefill", "residual wk", r.wk!, "f16", headDim, w0, nw);
    a[g.wv] = kvSpan("splitAttnPrefill", "residual wv", r.wv!, "f16", headDim, w0, nw);
    a[g.out] = out.ptr + (o.outOffset ?? qOff) * 4;
    a[g.m] = m; a[g.nq] = o.nKv - nw; a[g.nw] = nw; a[g.head_dim] = headDim; a[g.n_group] = nGroup; a[g.q_stride] = o.qStride; a[g.scale] = o.scale;
    a[g.acc] = 0; a[g.acc_from] = 0; a[g.acc_stride] = 0;
    pool.split("attn_prefill_q8_0_res", ATTN_PREFILL_RES.nargs, ATTN_PREFILL_RES.rangeAt, m, 1, ATTN_PREFILL_RES.scratchAt, scratch, cuts);
    return;
  }
  const a = pool.argv, g = ATTN_PREFILL.at;
  a[g.q] = q.ptr + qOff * 4;
  a[g.k] = kvSpan("splitAttnPrefill", "k", k, type, headDim, o.kOffset ?? 0, o.nKv);
  a[g.v] = kvSpan("splitAttnPrefill", "v", v, type, headDim, o.vOffset ?? 0, o.nKv);
  a[g.out] = out.ptr + (o.outOffset ?? qOff) * 4;
  a[g.m] = m; a[g.n_kv] = o.nKv; a[g.head_dim] = headDim; a[g.n_group] = nGroup; a[g.q_stride] = o.qStride; a[g.scale] = o.scale;
  a[g.acc] = 0; a[g.acc_from] = 0; a[g.acc_stride] = 0;
  pool.split(ATTN_PREFILL_NAME[type], ATTN_PREFILL.nargs, ATTN_PREFILL.rangeAt, m, 1, ATTN_PREFILL.scratchAt, scratch, cuts);
}

// attn_decode_heads_<t>(q, out, heads, scores, score_stride, u0, u1, head_dim, n_group, scale),
// t = f32, f16, q8_0: query heads [u0, u1) of one layer (assembly/attnheads.ts); every query head
// writes its own scores row, so the parts need no scratch of their own
const ATTN_DECODE_HEADS = splitTable(["q", "out", "heads", "scores", "score_stride", "u0", "u1", "head_dim", "n_group", "scale"], "u0", 1);

// multiply-adds of one layer's decode attention (q . k over every query head's rows; the weighted
// sum of V costs as much again) below which the hand-off to the pool costs more than it saves.
// bench/attention-decode-split.ts, 2 threads, 135M shape, a quiet moment: 32 rows (18,432) lose
// (0.31x f32), 64 rows (36,864) gain (1.32x f32, 1.24x q8_0), 512 rows 1.63x / 1.24x; set a step
// above the crossover, since a loaded machine makes every hand-off dearer.
export const ATTN_DECODE_SPLIT_MIN_WORK = 1 << 16;

// Where query heads [0, nHeads) split into `threads` parts of about equal work: query head u reads
// the n rows of KV head u / nGroup (plus a fixed cost), and part t ends at the first head whose
// middle passes (t + 1) / threads of the total. A part may start or end inside a group; with equal
// blocks and threads dividing the KV heads, parts are whole groups. cuts: (threads + 1) bounds.
export function headCuts(cuts: Int32Array, threads: number, blocks: readonly KVBlock[], nGroup: number): void {
  const nHeads = blocks.length * nGroup;
  let total = 0;
  for (let h = 0; h < blocks.length; h++) total += (blocks[h].n + 1) * nGroup;
  cuts[0] = 0;
  let u = 0, sum = 0;
  for (let t = 1; t < threads; t++) {
    const target = (total * t) / threads;
    while (u < nHeads) {
      const c = blocks[Math.floor(u / nGroup)].n + 1;
      if (sum + c / 2 >= target) break;
      sum += c;
      u++;
    }
    cuts[t] = u;
  }
  cuts[threads] = nHeads;
}

// attnDecodeHeads (every query head of a layer over its KV head's block) with the query heads
// split over the pool in parts of equal work (headCuts); one thread when the layer's work is under
// ATTN_DECODE_SPLIT_MIN_WORK. Each head runs the same kernel as on one thread, so the result and
// the weights in o.scores have the same bits. cuts: a (threads + 1) buffer; minWork: the split's
// threshold (tests pass 0 to split any layer). Allocates nothing.
export function splitAttnDecode(pool: ThreadPool, out: Tensor, q: Tensor, blocks: readonly KVBlock[], o: AttnDecodeHeadsOptions, cuts: Int32Array,
                                minWork = ATTN_DECODE_SPLIT_MIN_WORK): void {
  const nHeads = decodeHeadsTable("splitAttnDecode", out, q, blocks, o);
  if (cuts.length < pool.threads + 1) throw new RangeError(`splitAttnDecode: cuts holds ${cuts.length} entries, needs threads + 1 = ${pool.threads + 1}`);
  const name = decodeHeadsName(blocks, o.type ?? "f32");
  let rows = 0;
  for (let h = 0; h < blocks.length; h++) rows += blocks[h].n;
  const a = pool.argv, g = ATTN_DECODE_HEADS.at;
  a[g.q] = q.ptr; a[g.out] = out.ptr; a[g.heads] = o.table.ptr; a[g.scores] = o.scores.ptr; a[g.score_stride] = o.scoreStride;
  a[g.head_dim] = o.headDim; a[g.n_group] = o.nGroup; a[g.scale] = o.scale;
  if (rows * o.nGroup * o.headDim < minWork || nHeads < 2) {
    out.rt.k[name](q.ptr, out.ptr, o.table.ptr, o.scores.ptr, o.scoreStride, 0, nHeads, o.headDim, o.nGroup, o.scale);
    return;
  }
  headCuts(cuts, pool.threads, blocks, o.nGroup);
  pool.split(name, ATTN_DECODE_HEADS.nargs, ATTN_DECODE_HEADS.rangeAt, nHeads, 1, -1, undefined, cuts);
}
