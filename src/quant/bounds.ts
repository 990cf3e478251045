// Error bounds of quantizeRow: for every block of src, max_i |x_i - deq(q(x))_i| is at most
// the block's bound below; quantErrorBound returns the largest over the blocks of src.
//
// Notation per block: A = max |x|; for the min-max types R = max - min. Stored f16 scales
// add their own rounding: a scale s reads back as s(1 + e) + a with |e| <= 2^-11 (normal range)
// and |a| <= 2^-25 (subnormal range, half the spacing 2^-24), so a quant q moves by at most
// |q| (s 2^-11 + 2^-25). SLOP covers the f32 arithmetic of quantizer and dequantizer
// (a few roundings of 2^-24 each, relative to the block's magnitude).
// Valid while the scales fit in f16 (|x| up to about 65504 * qmax); f16 itself up to 65504.
import type { DType } from "../wasm/dtype.ts";

const E16 = 2 ** -11, A16 = 2 ** -25;
const slop = (a: number): number => a * 2 ** -19 + 2 ** -60;

function absMax(x: Float32Array, i0: number, n: number): number {
  let a = 0;
  for (let i = i0; i < i0 + n; i++) a = Math.max(a, Math.abs(x[i]));
  return a;
}

function minMax(x: Float32Array, i0: number, n: number): [number, number] {
  let mn = Infinity, mx = -Infinity;
  for (let i = i0; i < i0 + n; i++) { mn = Math.min(mn, x[i]); mx = Math.max(mx, x[i]); }
  return [mn, mx];
}

// f16 / bf16: round to nearest with 11 / 8 significant bits: half an ulp, relative 2^-11 / 2^-8,
// plus half the subnormal spacing.
function halfBound(x: Float32Array, i0: number): number { return Math.abs(x[i0]) * E16 + A16; }
function bf16Bound(x: Float32Array, i0: number): number { return Math.abs(x[i0]) * 2 ** -8 + 2 ** -134; }

// Q8_0 (d = A / 127, |q| <= 127), Q4_0 / Q5_0 (d = A / z, z = 8 / 16 quants either side of 0).
// Rounding to the nearest quant costs d / 2; q4_0 / q5_0 map the largest-magnitude value to -z,
// so a value of the opposite sign and the same magnitude lands on +z, clamped to z - 1: d.
function symBound(z: number, clampSteps: number) {
  return (x: Float32Array, i0: number): number => {
    const a = absMax(x, i0, 32), d = a / z;
    return clampSteps * d + z * (d * E16 + A16) + slop(a);
  };
}

// Q4_1 / Q5_1: d = R / qmax, m = min; rounding costs d / 2, the stored d moves the top quant by
// qmax (d 2^-11 + 2^-25) and the stored m adds |m| 2^-11 + 2^-25.
function minBound(qmax: number) {
  return (x: Float32Array, i0: number): number => {
    const [mn, mx] = minMax(x, i0, 32), d = (mx - mn) / qmax;
    return d / 2 + qmax * (d * E16 + A16) + Math.abs(mn) * E16 + A16 + slop(absMax(x, i0, 32));
  };
}

// Q4_K / Q5_K (kquants.ts). Sub-block j: offset M_j = -min(x, 0), range R_j = max x + M_j, and
// the search picks s_j in [R_j / qmax, R_j / (qmax - 1)], so the grid l s_j - M_j (l = 0..qmax)
// covers the data. Rounding s_j and M_j to 6 bits against S / 63, M / 63 (S, M the largest
// s_j, M_j; S <= max R_j / (qmax - 1)) and storing S / 63, M / 63 as f16 moves them by at most
//   e_s = S / 126 + S 2^-11 + 63 2^-25,   e_m = M / 126 + M 2^-11 + 63 2^-25.
// A value inside the final grid is within d_j / 2 <= (s_j + e_s) / 2 of a grid point; below it
// by at most e_m; above its top qmax d_j - m_j by at most R_j - qmax (s_j - e_s) + e_m
// <= qmax e_s + e_m. Bound: max(R_j / (2 (qmax - 1)) + e_s / 2, qmax e_s + e_m).
function kAsymBound(qmax: number) {
  return (x: Float32Array, i0: number): number => {
    let S = 0, M = 0;
    const R = new Float64Array(8);
    for (let j = 0; j < 8; j++) {
      const [mn, mx] = minMax(x, i0 + 32 * j, 32);
      const off = -Math.min(mn, 0);
      R[j] = mx + off;
      S = Math.max(S, R[j] / (qmax - 1));
      M = Math.max(M, off);
    }
    const es = S / 126 + S * E16 + 63 * A16, em = M / 126 + M * E16 + 63 * A16;
    let worst = 0;
    for (let j = 0; j < 8; j++) worst = Math.max(worst, R[j] / (2 * (qmax - 1)) + es / 2, qmax * es + em);
    return worst + slop(absMax(x, i0, 256));
  };
}

// Q6_K (kquants.ts). Sub-block j (16 values, A_j = max |x|): s_j = -v / (32 + delta),
// delta in [-1, 0], so |s_j| <= A_j / 31 and the value v of largest magnitude sits inside the
// 32 steps on its side. Rounding s_j to 8 bits against d = S / 128 (S the largest |s_j| <= A / 31)
// costs S / 256, or S / 128 where +128 clamps to 127; storing d as f16 adds 128 (d 2^-11 + 2^-25):
//   e_s = S / 128 + S 2^-11 + 128 2^-25.
// A value inside the grid is within (|s_j| + e_s) / 2; on the 32-step side it overflows by at
// most 32 e_s; on the 31-step side |x| <= 32 |s_j| overflows 31 |d_j| by at most |s_j| + 31 e_s.
// Bound: |s_j| + 32 e_s <= A_j / 31 + 32 e_s.
function q6kBound(x: Float32Array, i0: number): number {
  const A = absMax(x, i0, 256), S = A / 31;
  const es = S / 128 + S * E16 + 128 * A16;
  let worst = 0;
  for (let j = 0; j < 16; j++) worst = Math.max(worst, absMax(x, i0 + 16 * j, 16) / 31 + 32 * es);
  return worst + slop(A);
}

type BlockBound = (x: Float32Array, i0: number) => number;
const BOUNDS: Partial<Record<DType, [number, BlockBound]>> = {
  f32: [1, () => 0],
  f16: [1, halfBound],
  bf16: [1, bf16Bound],
  q8_0: [32, (x, i0) => { const a = absMax(x, i0, 32), d = a / 127; return d / 2 + 127 * (d * E16 + A16) + slop(a); }],
  q4_0: [32, symBound(8, 1)],
  q5_0: [32, symBound(16, 1)],
  q4_1: [32, minBound(15)],
  q5_1: [32, minBound(31)],
  q4_k: [256, kAsymBound(15)],
  q5_k: [256, kAsymBound(31)],
  q6_k: [256, q6kBound],
};

// The largest per-block bound over src (src.length a multiple of the block size).
export function quantErrorBound(dtype: DType, src: Float32Array): number {
  const spec = BOUNDS[dtype];
  if (!spec) throw new TypeError(`quantErrorBound: no quantizer for dtype ${dtype}`);
  const [block, bound] = spec;
  if (src.length % block !== 0) throw new RangeError(`quantErrorBound: ${src.length} values is not a whole number of ${dtype} blocks (${block})`);
  let worst = 0;
  for (let i = 0; i < src.length; i += block) worst = Math.max(worst, bound(src, i));
  return worst;
}
