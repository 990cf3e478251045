// Attention over a Q8_0 KV head with a residual window (assembly/attnres.ts): kernel signatures
// and their TypeScript fallback. The wrappers that pick these kernels are attention.ts's
// attnPrefill (o.residual) and attnDecodeHeads (blocks with window rows).
import type { Heap } from "../heap.ts";
import * as ref from "../../ref/attnres.ts";
import { f32At, i32At, u8At } from "./check.ts";

type DecodeRes = (q: number, k: number, v: number, nq: number, wk: number, wv: number, nw: number, out: number, scores: number,
                  head_dim: number, n_group: number, scale: number) => void;
type PrefillRes = (q: number, k: number, v: number, wk: number, wv: number, out: number, scores: number, m: number, nq: number, nw: number,
                   head_dim: number, n_group: number, q_stride: number, scale: number, i0: number, i1: number,
                   acc: number, acc_from: number, acc_stride: number) => void;
type DecodeHeads = (q: number, out: number, heads: number, scores: number, score_stride: number,
                    u0: number, u1: number, head_dim: number, n_group: number, scale: number) => void;

export type AttnResKernels = { attn_decode_q8_0_res: DecodeRes; attn_prefill_q8_0_res: PrefillRes; attn_decode_heads_q8_0_res: DecodeHeads };

// entries per KV head in attn_decode_heads_q8_0_res's table: K, V addresses, nq, window K, V addresses, nw
export const RES_TABLE_ENTRIES = 6;

export function attnResFallback(h: Heap): AttnResKernels {
  const decode: DecodeRes = (q, k, v, nq, wk, wv, nw, out, scores, head_dim, n_group, scale) =>
    ref.attn_decode_q8_0_res(f32At(h, q), u8At(h, k), u8At(h, v), nq, u8At(h, wk), u8At(h, wv), nw, f32At(h, out), f32At(h, scores), head_dim, n_group, scale);
  return {
    attn_decode_q8_0_res: decode,
    attn_prefill_q8_0_res: (q, k, v, wk, wv, out, scores, m, nq, nw, head_dim, n_group, q_stride, scale, i0, i1, acc, acc_from, acc_stride) =>
      ref.attn_prefill_q8_0_res(f32At(h, q), u8At(h, k), u8At(h, v), u8At(h, wk), u8At(h, wv), f32At(h, out), f32At(h, scores),
        m, nq, nw, head_dim, n_group, q_stride, scale, i0, i1, acc ? f32At(h, acc) : undefined, acc_from, acc_stride),
    // the loop of assembly/attnres.ts attn_decode_heads_q8_0_res over the fallback's decode
    attn_decode_heads_q8_0_res: (q, out, heads, scores, score_stride, u0, u1, head_dim, n_group, scale) => {
      for (let u = u0; u < u1;) {
        const kh = Math.floor(u / n_group), first = kh * n_group, g0 = u - first, g1 = Math.min(n_group, u1 - first);
        const e = i32At(h, heads + kh * 4 * RES_TABLE_ENTRIES), o = u * head_dim * 4, n = e[2] + e[5];
        decode(q + o, e[0] >>> 0, e[1] >>> 0, e[2], e[3] >>> 0, e[4] >>> 0, e[5], out + o, scores + (first * score_stride + g0 * n) * 4, head_dim, g1 - g0, scale);
        u = first + g1;
      }
    },
  };
}
