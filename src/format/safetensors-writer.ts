// A safetensors writer, for tests and benchmarks: tensors packed in order, the JSON header padded
// with spaces to a multiple of 8 bytes (as the reference implementation does).
import { SAFETENSORS_DTYPES } from "./safetensors.ts";

export interface SafetensorsTensorSpec {
  name: string;
  dtype: string;     // "F32", "F16", "BF16", ... (any safetensors dtype)
  shape: number[];
  data: Uint8Array;  // numel * element size bytes
}

export function writeSafetensors(tensors: SafetensorsTensorSpec[], metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const size = SAFETENSORS_DTYPES[t.dtype]?.[0];
    if (size === undefined) throw new Error(`${t.name}: unknown safetensors dtype ${t.dtype}`);
    const n = t.shape.reduce((a, b) => a * b, 1) * size;
    if (t.data.length !== n) throw new Error(`${t.name}: ${t.data.length} bytes given, ${t.dtype} (${t.shape.join(", ")}) needs ${n}`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let p = 8 + h.length;
  for (const t of tensors) { out.set(t.data, p); p += t.data.length; }
  return out;
}
