// Many short UTF-8 strings decoded at once: a GGUF vocabulary holds 32k-150k tokens (and as many
// merges), and one TextDecoder.decode per token costs about a microsecond of call overhead, most
// of the header's parse time. Here the strings' bytes are copied into one buffer, decoded with one
// call, and the result is cut at each string's UTF-16 offset.
//
// Contract: decodeUtf8Batch(bytes, start, end)[i] === new TextDecoder("utf-8", { ignoreBOM: true })
// .decode(bytes.subarray(start[i], end[i])) for every i (ill-formed bytes become U+FFFD as there).
// Cutting is exact only for well-formed strings (a valid string ends on a character boundary, and
// its UTF-16 length is its count of non-continuation bytes plus one per 4-byte sequence), so a
// string that is not well-formed UTF-8 is decoded on its own.

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

// UTF-16 code units of bytes[s, e) if it is well-formed UTF-8 (RFC 3629: no overlongs, no
// surrogates, nothing past U+10FFFF), else -1
export function utf16LengthIfValid(b: Uint8Array, s: number, e: number): number {
  let units = 0, i = s;
  while (i < e) {
    const c = b[i];
    if (c < 0x80) { i++; units++; continue; }
    let n: number, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; else if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; else if (c === 0xf4) hi = 0x8f; }
    else return -1;
    if (i + n >= e) return -1;   // the sequence runs past the string's end
    const c1 = b[i + 1];
    if (c1 < lo || c1 > hi) return -1;
    for (let k = 2; k <= n; k++) if ((b[i + k] & 0xc0) !== 0x80) return -1;
    i += n + 1;
    units += n === 3 ? 2 : 1;
  }
  return units;
}

export function decodeUtf8Batch(bytes: Uint8Array, start: ArrayLike<number>, end: ArrayLike<number>): string[] {
  const n = start.length;
  const out: string[] = new Array(n);
  const units = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const u = utf16LengthIfValid(bytes, start[i], end[i]);
    units[i] = u;
    if (u >= 0) total += end[i] - start[i];
  }
  // the well-formed strings' bytes, back to back (byte loops: most tokens are a few bytes long,
  // shorter than a subarray + set costs)
  const buf = new Uint8Array(total);
  let o = 0;
  for (let i = 0; i < n; i++) {
    if (units[i] < 0) continue;
    const s = start[i], e = end[i];
    if (e - s > 64) { buf.set(bytes.subarray(s, e), o); o += e - s; }
    else for (let k = s; k < e; k++) buf[o++] = bytes[k];
  }
  const text = decoder.decode(buf);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const u = units[i];
    if (u < 0) { out[i] = decoder.decode(bytes.subarray(start[i], end[i])); continue; }
    out[i] = text.slice(at, at + u);
    at += u;
  }
  if (at !== text.length) throw new Error(`decodeUtf8Batch: cut ${at} of ${text.length} UTF-16 units (internal error)`);
  return out;
}
