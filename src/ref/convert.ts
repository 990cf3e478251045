// Plain TypeScript reference for assembly/convert.ts: the test oracle and the fallback.
// dst is written through its bits, so NaN payloads survive exactly as in the kernel.

function bitsOf(dst: Float32Array): Uint32Array {
  return new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

// f32 bits of the IEEE binary16 value with bits h, decoded field by field
export function f16Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0x1f) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  // value = m * 2^-24 (subnormal) or (1024 + m) * 2^(e - 25); both exact in f32
  const v = e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
  scratch[0] = v;
  return (scratchBits[0] | sign) >>> 0;
}

// dst[i] = f16 src[i] as f32 for i in [i0, i1)
export function f16_to_f32(src: Uint16Array, dst: Float32Array, i0: number, i1: number): void {
  const out = bitsOf(dst);
  for (let i = i0; i < i1; i++) out[i] = f16Bits(src[i]);
}

// dst[i] = bf16 src[i] as f32 for i in [i0, i1)
export function bf16_to_f32(src: Uint16Array, dst: Float32Array, i0: number, i1: number): void {
  const out = bitsOf(dst);
  for (let i = i0; i < i1; i++) out[i] = src[i] << 16 >>> 0;
}
