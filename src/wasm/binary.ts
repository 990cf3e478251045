// Small reads and edits of WebAssembly binaries: base64 decoding, and turning a shared
// memory import into a plain one for runtimes without SharedArrayBuffer (browser pages that
// are not cross-origin isolated). The flag change keeps every byte offset of the module.

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function decodeBase64(s: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < B64.length; i++) table[B64.charCodeAt(i)] = i;
  let len = s.length;
  while (len > 0 && s[len - 1] === "=") len--;
  const out = new Uint8Array((len * 3) >> 2);
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const a = table[s.charCodeAt(i)], b = table[s.charCodeAt(i + 1)];
    const c = i + 2 < len ? table[s.charCodeAt(i + 2)] : 0;
    const d = i + 3 < len ? table[s.charCodeAt(i + 3)] : 0;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < out.length) out[o++] = (v >> 16) & 255;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

class Reader {
  constructor(readonly b: Uint8Array, public p: number) {}
  u8(): number {
    if (this.p >= this.b.length) throw new Error("wasm binary: unexpected end");
    return this.b[this.p++];
  }
  leb(): number {
    let v = 0, shift = 0, byte: number;
    do {
      byte = this.u8();
      v += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return v;
  }
  skip(n: number): void { this.p += n; }
  limits(): number {
    const at = this.p;
    const flags = this.u8();
    this.leb();
    if (flags & 1) this.leb();
    return at;
  }
}

// Returns a copy of `bytes` whose imported memories are declared unshared (limits flag 0x03 -> 0x01).
export function unshareMemoryImports(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const r = new Reader(out, 8);
  while (r.p < out.length) {
    const id = r.u8();
    const size = r.leb();
    const end = r.p + size;
    if (id === 2) {
      const count = r.leb();
      for (let i = 0; i < count; i++) {
        r.skip(r.leb()); // module name
        r.skip(r.leb()); // field name
        const kind = r.u8();
        if (kind === 0) r.leb();
        else if (kind === 1) { r.u8(); r.limits(); }
        else if (kind === 2) { const at = r.limits(); out[at] &= ~2; }
        else if (kind === 3) { r.u8(); r.u8(); }
        else throw new Error(`wasm binary: unknown import kind ${kind}`);
      }
      return out;
    }
    r.p = end;
  }
  return out;
}
