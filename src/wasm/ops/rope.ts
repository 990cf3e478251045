// Rotary position embedding: kernel signatures (assembly/rope.ts), their TypeScript fallback,
// the frequency table builders, and the tensor-level wrapper the rest of the library calls.
import type { Heap } from "../heap.ts";
import type { Runtime } from "../runtime.ts";
import type { Tensor } from "../tensor.ts";
import * as ref from "../../ref/rope.ts";
import { checkRange, expectDtype, f32At, i32At } from "./check.ts";

export interface RopeKernels {
  rope_pairs_f32(x: number, cs: number, pos: number, n_heads: number, head_dim: number, rot_dim: number, r0: number, r1: number): void;
  rope_half_f32(x: number, cs: number, pos: number, n_heads: number, head_dim: number, rot_dim: number, r0: number, r1: number): void;
}

export function ropeFallback(h: Heap): RopeKernels {
  return {
    rope_pairs_f32: (x, cs, pos, nh, hd, rd, r0, r1) => ref.rope_pairs_f32(f32At(h, x), f32At(h, cs), i32At(h, pos), nh, hd, rd, r0, r1),
    rope_half_f32: (x, cs, pos, nh, hd, rd, r0, r1) => ref.rope_half_f32(f32At(h, x), f32At(h, cs), i32At(h, pos), nh, hd, rd, r0, r1),
  };
}

// Llama 3 frequency scaling (config.json rope_scaling with rope_type "llama3")
export interface Llama3Scaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

// inv_freq[i] = theta^(-2i / rotDim) for i in [0, rotDim/2), in float64. With `scaling`, the
// Llama 3 rule of Hugging Face's _compute_llama3_parameters: wavelengths 2 pi / f shorter than
// original / highFreqFactor keep f, longer than original / lowFreqFactor get f / factor, and
// those between blend the two with s = (original / wavelength - low) / (high - low):
// (1 - s) f / factor + s f. With `freqFactors` (rotDim/2 values, llama.cpp's rope_freqs.weight,
// which is how a GGUF carries the same rule), inv_freq[i] is divided by freqFactors[i], as
// ggml_rope_ext does. A model carries one or the other, never both.
export function ropeInvFreq(rotDim: number, theta: number, scaling?: Llama3Scaling, freqFactors?: ArrayLike<number>): Float64Array {
  checkRotDim("ropeInvFreq", rotDim);
  if (!(theta > 0)) throw new RangeError(`ropeInvFreq: theta must be > 0, got ${theta}`);
  const half = rotDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / theta ** ((2 * i) / rotDim);
  if (freqFactors) {
    if (scaling) throw new RangeError("ropeInvFreq: both llama3 scaling and per-frequency factors given; a model carries one of them");
    if (freqFactors.length !== half) throw new RangeError(`ropeInvFreq: ${freqFactors.length} frequency factors for ${half} frequencies`);
    for (let i = 0; i < half; i++) {
      if (!(freqFactors[i] > 0) || !Number.isFinite(freqFactors[i])) throw new RangeError(`ropeInvFreq: frequency factor ${i} is ${freqFactors[i]}, must be finite and > 0`);
      inv[i] /= freqFactors[i];
    }
    return inv;
  }
  if (!scaling) return inv;
  const { factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: orig } = scaling;
  if (!(factor > 0) || !(low > 0) || !(high > low) || !(orig > 0)) {
    throw new RangeError(`ropeInvFreq: invalid llama3 scaling ${JSON.stringify(scaling)} (need factor > 0, 0 < lowFreqFactor < highFreqFactor, originalMaxPositionEmbeddings > 0)`);
  }
  const lowWavelen = orig / low, highWavelen = orig / high;
  for (let i = 0; i < half; i++) {
    const f = inv[i];
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) continue;
    if (wavelen > lowWavelen) { inv[i] = f / factor; continue; }
    const s = (orig / wavelen - low) / (high - low);
    inv[i] = ((1 - s) * f) / factor + s * f;
  }
  return inv;
}

export interface RopeTableOptions {
  rotDim: number;
  theta: number;
  scaling?: Llama3Scaling;
  // rope_freqs.weight of a GGUF (rotDim/2 divisors), see ropeInvFreq
  freqFactors?: ArrayLike<number>;
  // positions 0 .. maxPos - 1
  maxPos: number;
}

// cs (maxPos, rotDim/2, 2) f32: (cos, sin) of p * inv_freq[i], computed in float64 then
// rounded. The caller owns the returned tensor.
export function ropeTable(rt: Runtime, opts: RopeTableOptions): Tensor {
  const { rotDim, theta, scaling, freqFactors, maxPos } = opts;
  if (!Number.isInteger(maxPos) || maxPos < 0) throw new RangeError(`ropeTable: maxPos must be a non-negative integer, got ${maxPos}`);
  const inv = ropeInvFreq(rotDim, theta, scaling, freqFactors);
  const half = rotDim / 2;
  const t = rt.tensor("f32", [maxPos, half, 2]);
  const cs = t.f32();
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * inv[i];
      cs[(p * half + i) * 2] = Math.cos(a);
      cs[(p * half + i) * 2 + 1] = Math.sin(a);
    }
  }
  return t;
}

export interface RopeOptions {
  nHeads: number;
  headDim: number;
  // leading dims of each head that rotate: even, <= headDim
  rotDim: number;
  // "pairs": (x[2i], x[2i+1]) as GGUF llama; "half": (x[i], x[i + rotDim/2]) as Hugging Face
  style: "pairs" | "half";
  r0?: number;
  r1?: number;
}

// x rotated in place by the angles of its rows' positions
//   x (rows, nHeads, headDim) f32; table (maxPos, rotDim/2, 2) f32 from ropeTable; pos (rows) i32
export function rope(x: Tensor, table: Tensor, pos: Tensor, opts: RopeOptions): void {
  const op = "rope";
  const { nHeads, headDim, rotDim, style } = opts;
  expectDtype(op, "x", x, "f32");
  expectDtype(op, "table", table, "f32");
  expectDtype(op, "pos", pos, "i32");
  if (style !== "pairs" && style !== "half") throw new RangeError(`${op}: style must be "pairs" or "half", got ${String(style)}`);
  if (!Number.isInteger(nHeads) || nHeads <= 0 || !Number.isInteger(headDim) || headDim <= 0) {
    throw new RangeError(`${op}: nHeads and headDim must be positive integers, got ${nHeads} and ${headDim}`);
  }
  checkRotDim(op, rotDim);
  if (rotDim > headDim) throw new RangeError(`${op}: rotDim ${rotDim} is larger than headDim ${headDim}`);
  const ts = table.shape;
  if (ts.length !== 3 || ts[1] !== rotDim / 2 || ts[2] !== 2) {
    throw new RangeError(`${op}: table has shape [${ts.join(", ")}], expected [maxPos, ${rotDim / 2}, 2]`);
  }
  const maxPos = ts[0];
  const rows = x.size / (nHeads * headDim);
  if (!Number.isInteger(rows)) throw new RangeError(`${op}: x has ${x.size} elements, not a whole number of rows of ${nHeads} x ${headDim}`);
  if (pos.size !== rows) throw new RangeError(`${op}: pos has ${pos.size} positions for ${rows} rows`);
  const r0 = opts.r0 ?? 0, r1 = opts.r1 ?? rows;
  checkRange(op, "row", r0, r1, rows);
  // the kernel trusts pos; an out-of-range one would read past the table
  const p = pos.i32();
  for (let r = r0; r < r1; r++) {
    if (p[r] < 0 || p[r] >= maxPos) throw new RangeError(`${op}: pos[${r}] = ${p[r]} is outside the table's [0, ${maxPos})`);
  }
  const k = x.rt.k;
  const kernel = style === "pairs" ? k.rope_pairs_f32 : k.rope_half_f32;
  kernel(x.ptr, table.ptr, pos.ptr, nHeads, headDim, rotDim, r0, r1);
}

function checkRotDim(op: string, rotDim: number): void {
  if (!Number.isInteger(rotDim) || rotDim < 0 || rotDim % 2 !== 0) throw new RangeError(`${op}: rotDim must be an even non-negative integer, got ${rotDim}`);
}
