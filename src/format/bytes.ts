// A bounds-checked little-endian reader over a byte buffer. Running past the end throws
// `OutOfBytes` with the number of bytes that were needed, so callers can fetch a longer prefix
// of a file (or report a truncated file when they already hold all of it).

export class OutOfBytes extends Error {
  constructor(readonly needed: number) { super(`needed ${needed} bytes`); }
}

// ignoreBOM: a leading U+FEFF is part of the string (GGUF strings are raw bytes, as llama.cpp reads them)
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

export class ByteReader {
  private dv: DataView;
  pos: number;

  constructor(readonly bytes: Uint8Array, pos = 0) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new OutOfBytes(this.pos + n);
  }
  u8(): number { this.need(1); return this.bytes[this.pos++]; }
  i8(): number { this.need(1); return this.dv.getInt8(this.pos++); }
  u16(): number { this.need(2); const v = this.dv.getUint16(this.pos, true); this.pos += 2; return v; }
  i16(): number { this.need(2); const v = this.dv.getInt16(this.pos, true); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.dv.getUint32(this.pos, true); this.pos += 4; return v; }
  i32(): number { this.need(4); const v = this.dv.getInt32(this.pos, true); this.pos += 4; return v; }
  f32(): number { this.need(4); const v = this.dv.getFloat32(this.pos, true); this.pos += 4; return v; }
  f64(): number { this.need(8); const v = this.dv.getFloat64(this.pos, true); this.pos += 8; return v; }
  // u64 as a number; values past 2^53 are returned as Infinity so range checks reject them
  u64(): number {
    this.need(8);
    const lo = this.dv.getUint32(this.pos, true), hi = this.dv.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi >= 0x200000 ? Infinity : hi * 4294967296 + lo;
  }
  i64(): number {
    this.need(8);
    const v = this.dv.getBigInt64(this.pos, true);
    this.pos += 8;
    return Number(v);
  }
  raw(n: number): Uint8Array { this.need(n); const v = this.bytes.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  str(n: number): string { return utf8.decode(this.raw(n)); }
}
