// Scalar conversions between f32 and the 16-bit float formats GGUF stores: IEEE binary16
// (f16, also every block scale of the quantized types) and bfloat16. Bit-level, so NaN
// payloads and signed zeros survive, and f16 subnormals convert exactly.
// f32 -> f16 rounds to nearest even like ggml's GGML_FP32_TO_FP16 (NaN -> sign | 0x7e00);
// f32 -> bf16 rounds to nearest even like ggml_compute_fp32_to_bf16 (NaN -> quiet, payload kept).

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

// bits of the f32 nearest to x
export function f32Bits(x: number): number {
  f32buf[0] = x;
  return u32buf[0];
}

export function bitsF32(b: number): number {
  u32buf[0] = b;
  return f32buf[0];
}

// f16 bits -> f32 bits (exact: every f16 is an f32)
export function f16BitsToF32Bits(h: number): number {
  const s = (h & 0x8000) << 16;
  const e = (h >> 10) & 31;
  let m = h & 0x3ff;
  if (e === 31) return (s | 0x7f800000 | (m << 13)) >>> 0;
  if (e !== 0) return (s | ((e + 112) << 23) | (m << 13)) >>> 0;
  if (m === 0) return s >>> 0;
  // subnormal m * 2^-24: shift the leading one into the implicit bit
  let e32 = 113;
  while (!(m & 0x400)) { m <<= 1; e32--; }
  return (s | (e32 << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

// f16 bits -> value (a double that is exactly an f32)
export function f16ToF32(h: number): number {
  const e = (h >> 10) & 31, m = h & 0x3ff, sign = h & 0x8000 ? -1 : 1;
  if (e === 31) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1024 + m) * 2 ** (e - 25);
}

// round half to even, for v >= 0
function roundEven(v: number): number {
  const f = Math.floor(v), r = v - f;
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// f32 value -> f16 bits, round to nearest even; overflow gives +-inf
export function f32ToF16(x: number): number {
  const b = f32Bits(x);
  const s = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 255;
  if (e === 255) return s | ((b & 0x7fffff) ? 0x7e00 : 0x7c00);
  const a = Math.abs(bitsF32(b & 0x7fffffff));
  if (a >= 65520) return s | 0x7c00; // 65504 + half an ulp ties to even, i.e. up to inf
  if (a < 2 ** -14) return s | roundEven(a * 2 ** 24); // subnormal; 1024 carries into the smallest normal
  const e2 = e - 127; // a in [2^e2, 2^(e2+1))
  const q = roundEven((a / 2 ** e2 - 1) * 1024); // 0..1024; 1024 carries into the exponent
  return s | (((e2 + 15) << 10) + q);
}

// bf16 bits -> f32 bits
export function bf16BitsToF32Bits(h: number): number {
  return (h << 16) >>> 0;
}

// f32 bits -> bf16 bits, round to nearest even; NaN stays NaN (quiet bit set)
export function f32BitsToBf16(b: number): number {
  if ((b & 0x7fffffff) >>> 0 > 0x7f800000) return ((b >>> 16) | 64) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

// the f32 value of the f16 nearest to x (what a stored block scale reads back as)
export function roundToF16(x: number): number {
  return f16ToF32(f32ToF16(x));
}
