// Plain TypeScript references for assembly/attention.ts: the test oracle and the fallback.
// Arrays are whole buffers indexed from the kernel's pointers; sums and exp in f64, results
// stored in f32 arrays.

// s[off .. off + n) <- softmax of itself (n >= 1)
export function softmaxInPlace(s: Float32Array, off: number, n: number): void {
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, s[off + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) { const e = Math.exp(s[off + j] - m); s[off + j] = e; sum += e; }
  for (let j = 0; j < n; j++) s[off + j] = s[off + j] / sum;
}

// one query head at q[qo..qo+d): weights into s[so..so+n), output into out[oo..oo+d)
function oneHead(q: Float32Array, qo: number, k: Float32Array, v: Float32Array, out: Float32Array, oo: number,
                 s: Float32Array, so: number, n: number, d: number, scale: number): void {
  for (let j = 0; j < n; j++) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += q[qo + c] * k[j * d + c];
    s[so + j] = dot * Math.fround(scale);
  }
  if (n > 0) softmaxInPlace(s, so, n);
  for (let c = 0; c < d; c++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += s[so + j] * v[j * d + c];
    out[oo + c] = acc;
  }
}

// q, out (n_group, head_dim); k, v (n_kv, head_dim); scores (n_group, n_kv) <- softmax weights
export function attn_decode_f32(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, scores: Float32Array,
                                n_kv: number, head_dim: number, n_group: number, scale: number): void {
  for (let g = 0; g < n_group; g++) {
    oneHead(q, g * head_dim, k, v, out, g * head_dim, scores, g * n_kv, n_kv, head_dim, scale);
  }
}

// q, out (m, q_stride), group at 0; query i sees key rows [0, n_kv - m + i]; rows i in [i0, i1)
export function attn_prefill_f32(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, scores: Float32Array,
                                 m: number, n_kv: number, head_dim: number, n_group: number, q_stride: number,
                                 scale: number, i0: number, i1: number,
                                 acc?: Float32Array, acc_from = 0, acc_stride = 0): void {
  for (let i = i0; i < i1; i++) {
    for (let g = 0; g < n_group; g++) {
      const o = i * q_stride + g * head_dim;
      const n_vis = n_kv - m + i + 1;
      oneHead(q, o, k, v, out, o, scores, 0, n_vis, head_dim, scale);
      if (acc && i >= acc_from) for (let j = 0; j < n_vis; j++) acc[g * acc_stride + j] += scores[j];
    }
  }
}
