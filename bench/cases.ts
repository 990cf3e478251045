// The benchmark cases: one entry per (kernel, shape). Each entry makes its inputs once, says
// how to run our kernel on a runtime and how to run each peer on the same inputs, and checks
// every answer against the plain reference before anything is timed.
//
// Adding a kernel is one entry here.
import type { Runtime } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";
import * as ref from "../src/ref/matmul.ts";
import { GEMM_F32_SCRATCH_FLOATS, gemm, gemv } from "../src/wasm/ops/matmul.ts";
import { softmaxRows } from "../src/wasm/ops/softmax.ts";
import { attnDecode } from "../src/wasm/ops/attention.ts";
import * as attnRef from "../src/ref/attention.ts";
import type { Runner } from "./peers/types.ts";
import { mulberry32 } from "../src/util/rng.ts";
import { ortGemm } from "./peers/ort.ts";
import { tfjsMatMul, tfjsSoftmax } from "./peers/tfjs.ts";

export interface Peer<D> {
  name: string;
  make(d: D): Promise<Runner> | Runner;
}

export interface Case<D> {
  kernel: string;
  shape: string;
  unit: "GFLOP/s" | "Melem/s";
  work: number;          // flops (GFLOP/s) or elements (Melem/s) per call
  streamBytes?: number;  // bytes one call must read from memory: report % of read bandwidth
  vsPeak?: boolean;      // compute-bound: report % of the register-only peak
  inputs(): D;
  // undefined until our kernel for this op exists; the row then shows only the peers
  ours?: (rt: Runtime, d: D) => Runner;
  peers: Peer<D>[];
  // undefined when the answer is right, else what is wrong
  check(got: Float32Array, d: D): string | undefined;
}

// peer columns: onnxruntime-web Gemm (transB = 1); tfjs with weights (K, N); tfjs with (N, K) and transposeB
export const PEER_NAMES = ["ort-web", "tfjs", "tfjs NK"] as const;

// n uniform values in [-1, 1), seeded
function randn(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

// Our kernel on tensors copied into the runtime; output() reads tensor `out`.
function wasmRunner(rt: Runtime, arrays: { data: Float32Array; shape: number[] }[], outShape: number[],
  call: (out: Tensor, ins: Tensor[]) => void): Runner {
  const ins = arrays.map((a) => rt.fromArray(a.data, a.shape));
  const out = rt.zeros(outShape);
  return {
    run: () => call(out, ins),
    output: () => { call(out, ins); return out.toFloat32Array(); },
    dispose: () => { out.dispose(); for (const t of ins) t.dispose(); },
  };
}

// ---- matmul: Y (m, n_out) = X (m, n_in) @ W (n_out, n_in)^T; gemv is m = 1 ----
interface MatmulData { X: Float32Array; W: Float32Array; m: number; n_in: number; n_out: number }

// Checks rows of Y (all of them up to 8, else 8 spread over m) against the f64 reference.
// Tolerance: any summation order, gamma_(n_in + 2) * sum |x w| per output (float reassociation).
function checkMatmul(got: Float32Array, d: MatmulData): string | undefined {
  const { X, W, m, n_in, n_out } = d;
  if (got.length !== m * n_out) return `output has ${got.length} values, expected ${m * n_out}`;
  const rows = m <= 8 ? [...Array(m).keys()] : [...Array(8).keys()].map((i) => Math.floor((i * (m - 1)) / 7));
  const want = new Float32Array(n_out);
  for (const i of rows) {
    ref.gemm_f32(X.subarray(i * n_in, (i + 1) * n_in), W, want, 1, n_in, n_out, 0, n_out);
    for (let j = 0; j < n_out; j++) {
      let mag = 0;
      for (let k = 0; k < n_in; k++) mag += Math.abs(X[i * n_in + k] * W[j * n_in + k]);
      const tol = (n_in + 2) * 2 ** -24 * mag;
      const v = got[i * n_out + j];
      if (!(Math.abs(v - want[j]) <= tol)) return `Y[${i}, ${j}] = ${v}, expected ${want[j]} (tolerance ${tol.toExponential(2)})`;
    }
  }
  return undefined;
}

const matmulPeers: Peer<MatmulData>[] = [
  { name: "ort-web", make: (d) => ortGemm(d.W, d.X, d.m, d.n_in, d.n_out) },
  { name: "tfjs", make: (d) => tfjsMatMul(d.W, d.X, d.m, d.n_in, d.n_out, "KN") },
  { name: "tfjs NK", make: (d) => tfjsMatMul(d.W, d.X, d.m, d.n_in, d.n_out, "NK") },
];

function gemvCase(n_out: number, n_in: number, opts: { streamBytes?: boolean } = {}): Case<MatmulData> {
  return {
    kernel: "gemv_f32", shape: `${n_out}x${n_in}`, unit: "GFLOP/s", work: 2 * n_out * n_in,
    streamBytes: opts.streamBytes ? 4 * n_out * n_in : undefined,
    inputs: () => ({ X: randn(n_in, 1), W: randn(n_out * n_in, 2), m: 1, n_in, n_out }),
    ours: (rt, d) => wasmRunner(rt, [{ data: d.W, shape: [n_out, n_in] }, { data: d.X, shape: [n_in] }], [n_out],
      (y, [W, x]) => gemv(y, W, x)),
    peers: matmulPeers,
    check: checkMatmul,
  };
}

function gemmCase(m: number, n_out: number, n_in: number): Case<MatmulData> {
  return {
    kernel: "gemm_f32", shape: `m=${m} ${n_out}x${n_in}`, unit: "GFLOP/s", work: 2 * m * n_out * n_in, vsPeak: true,
    inputs: () => ({ X: randn(m * n_in, 3), W: randn(n_out * n_in, 4), m, n_in, n_out }),
    ours: (rt, d) => wasmRunner(rt, [{ data: d.X, shape: [m, n_in] }, { data: d.W, shape: [n_out, n_in] },
      { data: new Float32Array(GEMM_F32_SCRATCH_FLOATS), shape: [GEMM_F32_SCRATCH_FLOATS] }], [m, n_out],
      (Y, [X, W, S]) => gemm(Y, X, W, S)),
    peers: matmulPeers,
    check: checkMatmul,
  };
}

// ---- softmax over rows: Y (rows, n) = softmax(X) along n ----
interface SoftmaxData { X: Float32Array; rows: number; n: number }

// Tolerance: |got - want| <= 1e-5 * want + 1e-8 (exp approximations and sum order)
function checkSoftmax(got: Float32Array, d: SoftmaxData): string | undefined {
  const { X, rows, n } = d;
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity, s = 0;
    for (let i = 0; i < n; i++) mx = Math.max(mx, X[r * n + i]);
    for (let i = 0; i < n; i++) s += Math.exp(X[r * n + i] - mx);
    for (let i = 0; i < n; i++) {
      const want = Math.exp(X[r * n + i] - mx) / s, v = got[r * n + i];
      if (!(Math.abs(v - want) <= 1e-5 * want + 1e-8)) return `Y[${r}, ${i}] = ${v}, expected ${want}`;
    }
  }
  return undefined;
}

function softmaxCase(rows: number, n: number): Case<SoftmaxData> {
  return {
    kernel: "softmax_rows_f32", shape: `${rows}x${n}`, unit: "Melem/s", work: rows * n,
    inputs: () => ({ X: randn(rows * n, 5).map((v) => v * 8), rows, n }),
    ours: (rt, d) => wasmRunner(rt, [{ data: d.X, shape: [rows, n] }], [rows, n], (y, [x]) => softmaxRows(y, x)),
    peers: [{ name: "tfjs", make: (d) => tfjsSoftmax(d.X, d.rows, d.n) }],
    check: checkSoftmax,
  };
}

// ---- attention decode: one query token, 9 query heads over 3 KV heads (SmolLM2-135M), head_dim 64 ----
interface AttnData { q: Float32Array; k: Float32Array[]; v: Float32Array[]; nKv: number }
const A_HEADS = 9, A_KV = 3, A_DIM = 64, A_GROUP = A_HEADS / A_KV;

// Tolerance as in tests/attention.test.ts: 2e-6 absolute + 1e-5 relative on each output
function checkAttn(got: Float32Array, d: AttnData): string | undefined {
  const want = new Float32Array(A_HEADS * A_DIM), gd = A_GROUP * A_DIM;
  for (let h = 0; h < A_KV; h++) {
    attnRef.attn_decode_f32(d.q.subarray(h * gd), d.k[h], d.v[h], want.subarray(h * gd), new Float32Array(A_GROUP * d.nKv), d.nKv, A_DIM, A_GROUP, 1 / Math.sqrt(A_DIM));
  }
  for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i] - want[i]) <= 2e-6 + 1e-5 * Math.abs(want[i]))) return `out[${i}] = ${got[i]}, expected ${want[i]}`;
  return undefined;
}

function attnCase(nKv: number): Case<AttnData> {
  return {
    kernel: "attn_decode_f32", shape: `${nKv} cached, 9q/3kv x 64`, unit: "Melem/s", work: 2 * nKv * A_DIM * A_HEADS,
    inputs: () => ({ q: randn(A_HEADS * A_DIM, 6), k: [0, 1, 2].map((h) => randn(nKv * A_DIM, 7 + h)), v: [0, 1, 2].map((h) => randn(nKv * A_DIM, 10 + h)), nKv }),
    ours: (rt, d) => {
      const scores = rt.zeros([A_GROUP, nKv]);
      const arrays = [{ data: d.q, shape: [A_HEADS * A_DIM] }, ...d.k.map((k) => ({ data: k, shape: [nKv, A_DIM] })), ...d.v.map((v) => ({ data: v, shape: [nKv, A_DIM] }))];
      const r = wasmRunner(rt, arrays, [A_HEADS * A_DIM], (out, [q, k0, k1, k2, v0, v1, v2]) => {
        const ks = [k0, k1, k2], vs = [v0, v1, v2], gd = A_GROUP * A_DIM;
        for (let h = 0; h < A_KV; h++) attnDecode(out, q, ks[h], vs[h], { nKv, headDim: A_DIM, nGroup: A_GROUP, scale: 1 / Math.sqrt(A_DIM), scores, qOffset: h * gd, outOffset: h * gd });
      });
      return { ...r, dispose: () => { r.dispose(); scores.dispose(); } };
    },
    peers: [],
    check: checkAttn,
  };
}

// deno-lint-ignore no-explicit-any
export const CASES: Case<any>[] = [
  gemvCase(576, 1536),
  gemvCase(2048, 2048),
  gemvCase(2048, 8192, { streamBytes: true }),
  gemmCase(128, 576, 1536),
  gemmCase(512, 2048, 2048),
  softmaxCase(32, 4096),
  attnCase(512),
  attnCase(2048),
];
