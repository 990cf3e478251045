// GGUF tensor types in plain TypeScript: dequantizeRow (bit-exact with ggml's dequantize_row_*,
// evaluated in f32 without fused multiply-add), quantizeRow (reference quantizers) and the
// error bound quantizeRow guarantees (bounds.ts). Layouts are documented in q8.ts, q4q5.ts,
// kquants.ts; block sizes in src/wasm/dtype.ts.
import { DTYPE_BLOCK, type DType } from "../wasm/dtype.ts";
import { bf16BitsToF32Bits, f16BitsToF32Bits, f32BitsToBf16, f32ToF16 } from "./half.ts";
import { dequantQ8_0, quantQ8_0 } from "./q8.ts";
import { Q4_0, Q4_1, Q5_0, Q5_1, dequantLegacy, quantLegacy } from "./q4q5.ts";
import { dequantQ45K, dequantQ6K, quantQ45K, quantQ6K } from "./kquants.ts";

export { quantErrorBound } from "./bounds.ts";

type Dequant = (src: Uint8Array, nb: number, out: Float32Array, o: number) => void;
type Quant = (x: Float32Array, nb: number, dst: Uint8Array) => void;

function u32View(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

const DEQUANT: Partial<Record<DType, Dequant>> = {
  f32: (src, n, out, o) => out.set(new Float32Array(src.buffer.slice(src.byteOffset, src.byteOffset + 4 * n)), o),
  f16: (src, n, out, o) => { const u = u32View(out); for (let i = 0; i < n; i++) u[o + i] = f16BitsToF32Bits(src[2 * i] | (src[2 * i + 1] << 8)); },
  bf16: (src, n, out, o) => { const u = u32View(out); for (let i = 0; i < n; i++) u[o + i] = bf16BitsToF32Bits(src[2 * i] | (src[2 * i + 1] << 8)); },
  q8_0: dequantQ8_0,
  q4_0: (s, nb, out, o) => dequantLegacy(Q4_0, s, nb, out, o),
  q4_1: (s, nb, out, o) => dequantLegacy(Q4_1, s, nb, out, o),
  q5_0: (s, nb, out, o) => dequantLegacy(Q5_0, s, nb, out, o),
  q5_1: (s, nb, out, o) => dequantLegacy(Q5_1, s, nb, out, o),
  q4_k: (s, nb, out, o) => dequantQ45K(4, s, nb, out, o),
  q5_k: (s, nb, out, o) => dequantQ45K(5, s, nb, out, o),
  q6_k: dequantQ6K,
};

const QUANT: Partial<Record<DType, Quant>> = {
  f32: (x, n, dst) => dst.set(new Uint8Array(x.buffer, x.byteOffset, 4 * n)),
  f16: (x, n, dst) => { for (let i = 0; i < n; i++) { const h = f32ToF16(x[i]); dst[2 * i] = h & 255; dst[2 * i + 1] = h >> 8; } },
  bf16: (x, n, dst) => { const u = u32View(x); for (let i = 0; i < n; i++) { const h = f32BitsToBf16(u[i]); dst[2 * i] = h & 255; dst[2 * i + 1] = h >> 8; } },
  q8_0: quantQ8_0,
  q4_0: (x, nb, d) => quantLegacy(Q4_0, x, nb, d),
  q4_1: (x, nb, d) => quantLegacy(Q4_1, x, nb, d),
  q5_0: (x, nb, d) => quantLegacy(Q5_0, x, nb, d),
  q5_1: (x, nb, d) => quantLegacy(Q5_1, x, nb, d),
  q4_k: (x, nb, d) => quantQ45K(4, x, nb, d),
  q5_k: (x, nb, d) => quantQ45K(5, x, nb, d),
  q6_k: quantQ6K,
};

function blocks(op: string, dtype: DType, n: number): [number, number] {
  if (!(dtype in DEQUANT)) throw new TypeError(`${op}: unsupported dtype ${dtype} (supported: ${Object.keys(DEQUANT).join(", ")})`);
  const [block, bytes] = DTYPE_BLOCK[dtype];
  if (!Number.isSafeInteger(n) || n < 0 || n % block !== 0) throw new RangeError(`${op}: n = ${n} is not a whole number of ${dtype} blocks (${block})`);
  return [n / block, bytes];
}

// Decodes the n values of a row stored as dtype at src[0...] into out[outOffset...].
export function dequantizeRow(dtype: DType, src: Uint8Array, n: number, out: Float32Array, outOffset = 0): void {
  const [nb, bytes] = blocks("dequantizeRow", dtype, n);
  if (src.length < nb * bytes) throw new RangeError(`dequantizeRow: ${dtype} row of ${n} needs ${nb * bytes} bytes, got ${src.length}`);
  if (out.length < outOffset + n) throw new RangeError(`dequantizeRow: out has ${out.length} floats, needs ${outOffset + n}`);
  DEQUANT[dtype]!(src, nb, out, outOffset);
}

// Encodes src[0..n) (default all of src) as dtype; returns the row's bytes.
export function quantizeRow(dtype: DType, src: Float32Array, n = src.length): Uint8Array {
  const [nb, bytes] = blocks("quantizeRow", dtype, n);
  if (src.length < n) throw new RangeError(`quantizeRow: src has ${src.length} values, n = ${n}`);
  const dst = new Uint8Array(nb * bytes);
  QUANT[dtype]!(src, nb, dst);
  return dst;
}
