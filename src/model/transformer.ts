// The Llama-family forward pass (llama, mistral, qwen2, qwen3) over the kernel module.
// Run state is allocated once for the largest chunk; the per-token path allocates nothing.
// A chunk of m tokens at positions pos0 .. pos0+m-1 is appended to the KV store and attends
// causally to everything the store holds; logits come back for the chunk's last token.
//
// Where prefill time goes (node --cpu-prof, WASM functions named from a --debug build; F32
// SmolLM2-135M shape, prompt 512, 1 thread, relaxed, machine shared; self time):
//                                     64-row chunks, before   64-row chunks, paired attention
//   gemm register tiles (ptileFull)        60.3 %                  64.7 %
//   gemm packing + call (gemm_f32 self)    16.9 %                  16.7 %
//   gemm m-edge tiles (ptileRows)           4.2 %                   4.6 %
//   attention scores / weighted sum        11.7 %                   7.1 %
//   attention softmax                       1.6 %                   1.3 %
//   silu * mul                              2.3 %                   2.2 %
//   rmsnorm, residual adds, rope,           < 1 % together          < 1 %
//   KV appends, JS glue
// The gemm is ~86 % and packs every weight panel once per chunk: DEFAULT_MAX_CHUNK below is
// chosen for it. Fusing the rmsnorm into the gemm's packing would save under 0.3 %.
// With a pool (2 threads): each projection's X is packed once, its rows split over the threads,
// into a buffer every thread reads (q, k, v share one packing, as do gate and up); the output
// columns go in parts of whole 8-row panels taken from a shared counter, so a thread whose core
// is busy takes fewer; attention splits each KV head's query rows in parts of equal causal work;
// silu * mul splits by elements; rmsnorm, rope, the residual adds and the KV appends (< 1 %
// together) stay on the calling thread. Before this, each thread packed the whole X itself
// (pack_x is 2.4 / 18 / 0.8 / 2.1 % of the q-o / k-v / gate-up / down gemm at m = 512, 1 thread)
// and silu * mul (2.5 %) ran on one thread. Measured (prompt 512, builds before / after at 1 and
// 2 threads, all four alternating in one process, 6 reps, relaxed, /work/ext/mt2/ab4.mjs; the
// machine went quiet during the run, load average 2.3 -> 0.3; medians of per-rep ratios):
//   F32     2t/1t 1.47 before, 1.69 after; after/before 0.97 at 1 thread, 1.16 at 2 threads
//   Q4_K_M  2t/1t 1.39 before, 1.67 after; after/before 1.07 at 1 thread, 1.25 at 2 threads
// (loaded runs, load average 5-7, where 2 threads barely beat 1: F32 2t/1t 0.80 -> 0.97 relaxed,
// 0.99 -> 1.04 simd; Q8_0 1.29 -> 1.37.)
import type { Runtime } from "../wasm/runtime.ts";
import type { Tensor } from "../wasm/tensor.ts";
import type { ModelConfig } from "./config.ts";
import type { Weights } from "./weights.ts";
import { KVStore } from "../kv/store.ts";
import { type FiniteChecks, NonFiniteError, firstNonFiniteF32 } from "./finite.ts";
import { add, addRows, addStrided } from "../wasm/ops/elementwise.ts";
import { rmsnorm } from "../wasm/ops/norm.ts";
import { rope, ropeTable } from "../wasm/ops/rope.ts";
import { siluMul } from "../wasm/ops/activation.ts";
import { attnDecodeHeads, attnPrefill, attnPrefillScoresFloats, type AttnDecodeHeadsOptions, type AttnPrefillOptions } from "../wasm/ops/attention.ts";
import type { RopeOptions } from "../wasm/ops/rope.ts";
import { Linear } from "./linear.ts";
import { splitAttnDecode, splitAttnPrefill, splitSiluMul } from "../wasm/ops/parallel.ts";
import type { ThreadPool } from "../wasm/threads.ts";
import { embedRows } from "./embed.ts";
import { copyStrided } from "../wasm/ops/copy.ts";

// Rows of a chunk whose softmax weights are summed for a KV policy's query window.
export interface WindowRecord {
  acc: Tensor[];     // per layer (nHeads, accStride): acc[h, j] += p_h[j] for every recorded row
  accStride: number; // >= every cache row count while the window is recorded
  row0: number;      // the chunk's rows row0 .. m-1 are recorded
  // pre-RoPE query statistics of the recorded rows, per layer, for a policy that reads them
  // (expected attention): qSum (nHeads*headDim) += q_t, qOuter (nHeads, headDim, headDim) += q_t q_t^T
  qSum?: Float64Array[];
  qOuter?: Float64Array[];
}

export interface ForwardOptions {
  start: number;          // index in tokens of the chunk's first token
  m: number;              // tokens in the chunk, 1 .. maxChunk
  pos0: number;           // position of the chunk's first token
  kv: KVStore;            // the cache the chunk is appended to and attends over
  logits?: boolean;       // compute the last token's logits (default true)
  window?: WindowRecord;  // record these rows' attention for a KV policy
  checkLayers?: boolean;  // check every layer's output is finite (default: the model's checkFinite is "layers")
}

// Prefill chunk size when none is given. The f32 gemm packs every weight panel once per chunk
// and runs a short edge tile per chunk, so larger chunks spend less of prefill on packing; the run
// state grows by about 25 KB per row on the SmolLM2-135M shape (activations (C, 6336) f32 and
// the gemm's packed X block). Measured (F32 SmolLM2-135M shape, prompt 512, 64 / 128 / 256 / 512
// alternating in one process, 4 reps, machine shared by 4 helpers; median per-rep ratio to 64):
//   relaxed 1 thread 1 / 1.13 / 1.07 / 1.14     simd 1 thread 1 / 1.09 / 1.17 / 1.31
//   relaxed 2 threads 1 / 1.03 / 1.15 / 1.14    simd 2 threads 1 / 1.09 / 1.15 / 1.18
// heap peak 538.2 / 539.8 / 543.0 / 549.4 MiB (1 thread): 512 costs 11 MiB more than 64.
export const DEFAULT_MAX_CHUNK = 512;

export class Transformer {
  readonly maxChunk: number;
  readonly contextSize: number;
  private readonly lin: Linear;
  // run state; C = maxChunk
  private x: Tensor;       // (C, dim) residual stream
  private xb: Tensor;      // (C, dim)
  private xb2: Tensor;     // (C, dim)
  private q: Tensor;       // (C, nHeads*headDim)
  private k: Tensor;       // (C, nKvHeads*headDim)
  private v: Tensor;       // (C, nKvHeads*headDim)
  private att: Tensor;     // (C, nHeads*headDim)
  private hb: Tensor;      // (C, hiddenDim)
  private hb2: Tensor;     // (C, hiddenDim)
  private pos: Tensor;     // (C) i32
  private scores: Tensor;  // (nKvHeads, nGroup, contextSize) KV head h's attention weights of the last
                           // decode step, (nGroup, n_h) rows n_h apart at h * nGroup * contextSize
  private headTable: Tensor; // (nKvHeads, 6) i32: the decode kernel's table of each KV head's block (3 entries, 6 with a residual window)
  private rope: Tensor;    // (ropeRows, ropeDim/2, 2): positions 0 .. ropeRows-1
  private ropeRows: number; // contextSize, doubled when a position past it runs (context shift)
  readonly logits: Tensor; // (vocab)
  private last: Tensor;    // (1, dim) final norm of the last row
  // op options built once and updated in place, so a token allocates nothing
  private ropeQ: RopeOptions;
  private ropeK: RopeOptions;
  private dec: AttnDecodeHeadsOptions; // every KV head of a layer
  private pre: AttnPrefillOptions[];   // per KV head
  // with a pool: decode attention splits its query heads over the threads, prefill attention
  // each KV head's query rows
  private readonly pool?: ThreadPool;
  private attnScratch: Tensor[] = [];  // per thread (2, contextSize) prefill scores; thread 0's is `scores` when as large
  private cuts: Int32Array;            // (threads + 1) row or head bounds of a split

  // NaN/Inf checks (finite.ts): "logits" (default) checks each step's logits, "layers" the
  // residual stream after every layer too, "off" nothing
  readonly checkFinite: FiniteChecks;

  constructor(readonly rt: Runtime, readonly cfg: ModelConfig, readonly w: Weights, opts: { maxChunk?: number; contextSize?: number; pool?: ThreadPool; checkFinite?: FiniteChecks } = {}) {
    this.checkFinite = opts.checkFinite ?? "logits";
    this.contextSize = opts.contextSize ?? cfg.contextLength;
    // a chunk never holds more rows than the context, so the run state is never larger
    this.maxChunk = Math.max(1, Math.min(opts.maxChunk ?? DEFAULT_MAX_CHUNK, this.contextSize));
    const C = this.maxChunk, { dim, hiddenDim, nHeads, nKvHeads, headDim } = cfg;
    const qDim = nHeads * headDim, kvDim = nKvHeads * headDim;
    this.x = rt.tensor("f32", [C, dim]);
    this.xb = rt.tensor("f32", [C, dim]);
    this.xb2 = rt.tensor("f32", [C, dim]);
    this.q = rt.tensor("f32", [C, qDim]);
    this.k = rt.tensor("f32", [C, kvDim]);
    this.v = rt.tensor("f32", [C, kvDim]);
    this.att = rt.tensor("f32", [C, qDim]);
    this.hb = rt.tensor("f32", [C, hiddenDim]);
    this.hb2 = rt.tensor("f32", [C, hiddenDim]);
    this.pos = rt.tensor("i32", [C]);
    this.scores = rt.tensor("f32", [nKvHeads, nHeads / nKvHeads, this.contextSize]);
    this.headTable = rt.tensor("i32", [nKvHeads, 6]);
    this.ropeRows = this.contextSize;
    this.rope = this.buildRope(this.ropeRows);
    this.logits = rt.tensor("f32", [cfg.vocabSize]);
    this.last = rt.tensor("f32", [1, dim]);
    this.lin = new Linear(rt, Math.max(dim, hiddenDim, qDim), opts.pool, this.maxChunk);
    this.pool = opts.pool;
    const threads = opts.pool?.threads ?? 1;
    // prefill scores scratch per thread: (2, contextSize) (f32 rows take two query heads at a time);
    // thread 0 borrows the decode scores when they are as large
    const pre = attnPrefillScoresFloats("f32", this.contextSize);
    this.attnScratch = [this.scores.size >= pre ? this.scores : rt.tensor("f32", [pre])];
    for (let t = 1; t < threads; t++) this.attnScratch.push(rt.tensor("f32", [pre]));
    this.cuts = new Int32Array(threads + 1);
    const ropeBase = { headDim, rotDim: cfg.ropeDim, style: cfg.ropeStyle, r0: 0, r1: 1 };
    this.ropeQ = { ...ropeBase, nHeads };
    this.ropeK = { ...ropeBase, nHeads: nKvHeads };
    const nGroup = nHeads / nKvHeads, scale = 1 / Math.sqrt(headDim);
    this.dec = { headDim, nGroup, scale, scores: this.scores, scoreStride: this.contextSize, table: this.headTable, type: "f32" };
    this.pre = [];
    for (let h = 0; h < nKvHeads; h++) {
      const off = h * nGroup * headDim;
      this.pre.push({ m: 1, nKv: 0, headDim, nGroup, qStride: qDim, scale, qOffset: off, outOffset: off, scores: this.attnScratch[0], type: "f32" });
    }
  }

  // Runs tokens[start .. start+m) at positions pos0 .. pos0+m-1 through every layer, appending
  // to kv. Returns the logits of the last token (this.logits) unless logits is false.
  forward(tokens: ArrayLike<number>, o: ForwardOptions): Tensor {
    const cfg = this.cfg, { start, m, pos0, kv } = o, win = o.window;
    const checkLayers = o.checkLayers ?? this.checkFinite === "layers";
    if (!Number.isInteger(m) || m < 1 || m > this.maxChunk) throw new RangeError(`forward: chunk of ${m} tokens (1..${this.maxChunk})`);
    // the cache holds at most contextSize rows; positions may pass it when a context shift has
    // pruned rows (keys keep their original angles, so the table grows to reach them)
    const rows = kv.maxRows();
    if (rows + m > this.contextSize) throw new RangeError(`forward: ${rows} cached rows + ${m} new pass the context size ${this.contextSize}`);
    if (pos0 + m > this.ropeRows) this.growRope(pos0 + m);
    const { dim, nHeads, nKvHeads, normEps } = cfg;
    const nGroup = nHeads / nKvHeads;
    const posv = this.pos.i32();
    for (let t = 0; t < m; t++) posv[t] = pos0 + t;
    // token embeddings: x (m, dim)
    embedRows(this.x, this.w.tokEmbd, tokens, start, m);

    for (let l = 0; l < cfg.nLayers; l++) {
      const L = this.w.layers[l];
      // attention rmsnorm: xb = rmsnorm(x) (m, dim)
      rmsnorm(this.xb, this.x, L.attnNorm, normEps, m);
      // qkv projections: q (m, nHeads*headDim), k and v (m, nKvHeads*headDim), plus biases (qwen2)
      this.lin.apply(this.q, L.wq, this.xb, m);
      this.lin.apply(this.k, L.wk, this.xb, m, true); // xb unchanged: its packed copy serves k and v
      this.lin.apply(this.v, L.wv, this.xb, m, true);
      if (L.bq) { addRows(this.q, L.bq, 0, m); addRows(this.k, L.bk!, 0, m); addRows(this.v, L.bv!, 0, m); }
      // per-head q/k rmsnorm (qwen3)
      if (L.qNorm) {
        rmsnorm(this.q, this.q, L.qNorm, normEps, m * nHeads);
        rmsnorm(this.k, this.k, L.kNorm!, normEps, m * nKvHeads);
      }
      // the window's pre-RoPE queries, for a policy that reads their statistics
      if (win?.qSum) recordQueries(win, l, this.q.f32(), m, nHeads, cfg.headDim);
      // RoPE on q and k at positions pos0 ..
      this.ropeQ.r1 = this.ropeK.r1 = m;
      rope(this.q, this.rope, this.pos, this.ropeQ);
      rope(this.k, this.rope, this.pos, this.ropeK);
      // append k, v to the cache: every KV head's block grows by m rows
      kv.append(l, this.k, this.v, m, pos0);

      // attention, query head u over the cached rows of KV head u / nGroup: att (m, nHeads*headDim);
      // the window's rows add their softmax weights to the policy's accumulator
      const heads = kv.layers[l];
      if (m === 1) {
        // decode: every KV head in one kernel call, or its query heads split over the pool;
        // KV head h's weights stay in its own scores region, (nGroup, n_h) at h * nGroup * contextSize
        this.dec.type = kv.type;
        if (this.pool) splitAttnDecode(this.pool, this.att, this.q, heads, this.dec, this.cuts);
        else attnDecodeHeads(this.att, this.q, heads, this.dec);
        if (win) {
          for (let h = 0; h < nKvHeads; h++) {
            const n = heads[h].n;
            addStrided(win.acc[l], h * nGroup * win.accStride, win.accStride, this.scores, h * nGroup * this.contextSize, n, n, nGroup);
          }
        }
      } else {
        for (let h = 0; h < nKvHeads; h++) {
          const b = heads[h], p = this.pre[h];
          p.m = m;
          p.nKv = b.n;
          p.type = kv.type;
          p.residual = b;   // a Q8_0 head's newest rows in f16 (kv/store.ts), if it keeps any
          p.acc = win?.acc[l];
          if (win) {
            p.accFrom = win.row0;
            p.accStride = win.accStride;
            p.accOffset = h * nGroup * win.accStride;
          }
          if (this.pool) splitAttnPrefill(this.pool, this.att, this.q, b.k, b.v, p, this.attnScratch, this.cuts);
          else attnPrefill(this.att, this.q, b.k, b.v, p);
        }
      }
      // output projection and residual: x += att @ wo (m, dim)
      this.lin.apply(this.xb2, L.wo, this.att, m);
      add(this.x, this.x, this.xb2, 0, m * dim);

      // ffn rmsnorm: xb = rmsnorm(x) (m, dim)
      rmsnorm(this.xb, this.x, L.ffnNorm, normEps, m);
      // SwiGLU: hb = silu(xb @ w_gate) * (xb @ w_up) (m, hiddenDim)
      this.lin.apply(this.hb, L.wGate, this.xb, m);
      this.lin.apply(this.hb2, L.wUp, this.xb, m, true);
      if (this.pool) splitSiluMul(this.pool, this.hb, this.hb, this.hb2, m * cfg.hiddenDim);
      else siluMul(this.hb, this.hb, this.hb2, 0, m * cfg.hiddenDim);
      // down projection and residual: x += hb @ w_down (m, dim)
      this.lin.apply(this.xb2, L.wDown, this.hb, m);
      add(this.x, this.x, this.xb2, 0, m * dim);
      if (checkLayers) {
        const i = firstNonFiniteF32(this.x.f32(), 0, m * dim);
        if (i >= 0) throw new NonFiniteError(`non-finite values at position ${pos0 + Math.floor(i / dim)}: layer ${l} (blk.${l}.*) is the first whose output is NaN or Inf; check the model's weights`, pos0 + Math.floor(i / dim), l);
      }
    }
    if (o.logits !== false) {
      // final rmsnorm of the last row only, then the classifier: logits (vocab)
      copyStrided(this.last, 0, dim, this.x, (m - 1) * dim, dim, 1, dim);
      rmsnorm(this.last, this.last, this.w.outNorm, normEps, 1);
      this.lin.apply(this.logits, this.w.output, this.last, 1);
      if (this.checkFinite !== "off" && firstNonFiniteF32(this.logits.f32()) >= 0) throw this.locateNonFinite(tokens, start, m, pos0, kv.type);
    }
    return this.logits;
  }

  // The logits at position pos0+m-1 are not finite: replays tokens for positions 0 .. pos0+m-1
  // (tokens[start - pos0 ..]) through a fresh full cache with a check after every layer, and
  // returns the error naming the first layer whose output went non-finite (or the output head).
  private locateNonFinite(tokens: ArrayLike<number>, start: number, m: number, pos0: number, kvType: KVStore["type"]): NonFiniteError {
    const pos = pos0 + m - 1, first = start - pos0;
    const bad = this.logits.f32()[firstNonFiniteF32(this.logits.f32())];
    const head = `non-finite logits (${bad}) at position ${pos}`;
    if (first < 0) return new NonFiniteError(`${head}; load with checkFinite: "layers" to find the layer`, pos, undefined);
    const { nLayers, nKvHeads, headDim } = this.cfg;
    const kv = new KVStore(this.rt, nLayers, nKvHeads, headDim, { capacity: pos0 + m, type: kvType });
    try {
      for (let i = 0; i < pos0 + m; i += this.maxChunk) {
        this.forward(tokens, { start: first + i, m: Math.min(this.maxChunk, pos0 + m - i), pos0: i, kv, logits: false, checkLayers: true });
      }
    } catch (e) {
      if (e instanceof NonFiniteError) return new NonFiniteError(`${head}: ${e.message}`, pos, e.layer);
      throw e;
    } finally {
      kv.dispose();
    }
    return new NonFiniteError(`${head}: every layer's output is finite, so the output head (output_norm.weight, output.weight) made them so; check the model's weights`, pos, "output");
  }

  private buildRope(rows: number): Tensor {
    const cfg = this.cfg;
    return ropeTable(this.rt, { rotDim: cfg.ropeDim, theta: cfg.ropeTheta, scaling: cfg.ropeScaling, freqFactors: this.w.ropeFreqs, maxPos: rows });
  }

  // Positions past the table (only after a context shift): double it, an allocation once per doubling.
  private growRope(need: number): void {
    let rows = this.ropeRows;
    while (rows < need) rows *= 2;
    const t = this.buildRope(rows);
    this.rope.dispose();
    this.rope = t;
    this.ropeRows = rows;
  }

  dispose(): void {
    for (const t of this.attnScratch) if (t !== this.scores) t.dispose();
    for (const t of [this.x, this.xb, this.xb2, this.q, this.k, this.v, this.att, this.hb, this.hb2, this.pos, this.scores, this.headTable, this.rope, this.logits, this.last]) t.dispose();
    this.lin.dispose();
  }
}

// win.qSum[l] += q_t and win.qOuter[l] += q_t q_t^T, per query head, for the recorded rows
// t = row0 .. m-1 of q (m, nHeads*headDim); in place (nothing allocated)
function recordQueries(win: WindowRecord, l: number, q: Float32Array, m: number, nHeads: number, d: number): void {
  const sum = win.qSum![l], outer = win.qOuter![l], qDim = nHeads * d;
  for (let t = win.row0; t < m; t++) {
    for (let h = 0; h < nHeads; h++) {
      const o = t * qDim + h * d;
      for (let i = 0; i < d; i++) {
        const qi = q[o + i];
        sum[h * d + i] += qi;
        for (let j = 0; j < d; j++) outer[(h * d + i) * d + j] += qi * q[o + j];
      }
    }
  }
}
