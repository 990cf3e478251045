// Plain TypeScript references for assembly/attention.ts: the test oracle and the fallback.
// Arrays are whole buffers indexed from the kernel's pointers; sums and exp in f64, results
// stored in f32 arrays.
import { attn_decode_kv, attn_prefill_kv } from "./kvrows.ts";

// s[off .. off + n) <- softmax of itself (n >= 1)
export function softmaxInPlace(s: Float32Array, off: number, n: number): void {
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, s[off + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) { const e = Math.exp(s[off + j] - m); s[off + j] = e; sum += e; }
  for (let j = 0; j < n; j++) s[off + j] = s[off + j] / sum;
}

const bytes = (x: Float32Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

// q, out (n_group, head_dim); k, v (n_kv, head_dim); scores (n_group, n_kv) <- softmax weights
// (f32 rows: kvrows.ts's reference over every row type)
export function attn_decode_f32(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, scores: Float32Array,
                                n_kv: number, head_dim: number, n_group: number, scale: number): void {
  attn_decode_kv("f32", q, bytes(k), bytes(v), out, scores, n_kv, head_dim, n_group, scale);
}

// q, out (m, q_stride), group at 0; query i sees key rows [0, n_kv - m + i]; rows i in [i0, i1)
export function attn_prefill_f32(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, scores: Float32Array,
                                 m: number, n_kv: number, head_dim: number, n_group: number, q_stride: number,
                                 scale: number, i0: number, i1: number,
                                 acc?: Float32Array, acc_from = 0, acc_stride = 0): void {
  attn_prefill_kv("f32", q, bytes(k), bytes(v), out, scores, m, n_kv, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride);
}
