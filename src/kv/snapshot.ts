// The saved form of a chat session: a small versioned, checksummed byte format.
//
//   offset 0   "BKVS"                       magic
//          4   u32 version (4; versions 1, always f32, 2, without key means, and 3, without
//              residual windows, are read too)
//          8   u32 H: header bytes
//         12   H bytes of JSON               SnapshotHeader: model identity, KV type, tokens, state
//              zero padding to a multiple of 4
//              per layer l, per KV head h:   u32 n; u32 nw (version 4); i32 pos[n]; k rows; v rows
//                                            (n - nw rows of the KV type each, kvRowBytes(type,
//                                            headDim) bytes a row, as the store holds them); then
//                                            the residual window's k rows and v rows (nw f16 rows
//                                            each, keys centered; q8_0 only); zero padding to a
//                                            multiple of 4. Versions 1-3: no nw (0).
//   end - 4    u32 CRC-32 of every byte before it
//
// All numbers little-endian. A truncated, corrupted or foreign file is one clear error. The rows
// are saved as stored (no requantizing), so a session restores into the same KV type only. A
// Q8_0 cache's key rows are stored minus their head's key mean (store.ts), so the header carries
// the means (keyMeans, version 3); a version 2 file's Q8_0 keys were stored uncentered (means 0).
import type { KVHead } from "./store.ts";
import { crc32 } from "../util/crc32.ts";
import { KV_TYPES, type KVType, kvRowBytes } from "./kv-type.ts";

const MAGIC = [0x42, 0x4b, 0x56, 0x53]; // "BKVS"
export const SNAPSHOT_VERSION = 4;
const READS = [1, 2, 3, 4];

// What a snapshot must match to be restored into a model.
export interface ModelIdentity {
  name: string;
  arch: string;
  dim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  vocabSize: number;
  weights: string;   // CRC-32 (hex) of the output norm and the first 64 KiB of the token embedding
}

export interface SnapshotHeader {
  model: ModelIdentity;
  kvType: KVType;
  seen: number;              // positions run
  tokens: number[];          // every token of the session (token i at position i), pending last
  session: Record<string, unknown>;  // the session's own state (options, template text, turns)
  keyMeans?: string;         // q8_0: the store's key means (nLayers, nKvHeads, headDim), f32 little-endian, base64
}

// the key means as the header's keyMeans string (undefined stays undefined)
export function encodeKeyMeans(mu: Float32Array | undefined): string | undefined {
  if (!mu) return undefined;
  const b = new Uint8Array(mu.buffer, mu.byteOffset, mu.byteLength);
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s);
}

export class SnapshotError extends Error {
  constructor(msg: string) { super(msg); this.name = "SnapshotError"; }
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

// bytes of one head's record holding n rows, nw of them window rows of hd halves and the rest rows
// of rb bytes: n (and nw from version 4 on), positions, k and v rows, window rows, padding
const headBytes = (version: number, n: number, nw: number, rb: number, hd: number) =>
  (version >= 4 ? 8 : 4) + 4 * n + 2 * (n - nw) * rb + 4 * nw * hd + pad4(2 * (n - nw) * rb);

// layers: the store's [layer][kvHead] blocks, or undefined for a session with nothing run yet
export function encodeSnapshot(header: SnapshotHeader, layers: readonly (readonly KVHead[])[] | undefined): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const m = header.model, rb = kvRowBytes(header.kvType, m.headDim);
  let body = 8 * m.nLayers * m.nKvHeads;
  if (layers) { body = 0; for (const heads of layers) for (const b of heads) body += headBytes(SNAPSHOT_VERSION, b.n, b.nw, rb, m.headDim); }
  const start = 12 + json.length + ((4 - (json.length % 4)) % 4);
  const out = new Uint8Array(start + body + 4);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, SNAPSHOT_VERSION, true);
  dv.setUint32(8, json.length, true);
  out.set(json, 12);
  let o = start;
  if (!layers) o += body;   // every head holds 0 rows
  for (const heads of layers ?? []) {
    for (const b of heads) {
      const nq = b.n - b.nw, wb = 2 * b.w0 * m.headDim, wl = 2 * b.nw * m.headDim;
      dv.setUint32(o, b.n, true); o += 4;
      dv.setUint32(o, b.nw, true); o += 4;
      // the kernel memory is little-endian (WebAssembly), so its bytes are the file's
      // positions as i32 (a store of 2-byte positions holds them as little-endian u16)
      if (b.pos.dtype === "i32") out.set(b.pos.bytes().subarray(0, 4 * b.n), o);
      else { const u = b.pos.bytes(); for (let i = 0; i < b.n; i++) dv.setInt32(o + 4 * i, u[2 * i] | (u[2 * i + 1] << 8), true); }
      o += 4 * b.n;
      for (const [t, at, len] of [[b.k, 0, nq * rb], [b.v, 0, nq * rb], [b.wk, wb, wl], [b.wv, wb, wl]] as const) {
        if (len > 0) out.set(t!.bytes().subarray(at, at + len), o);
        o += len;
      }
      o += pad4(2 * nq * rb);
    }
  }
  dv.setUint32(o, crc32(out.subarray(0, o)), true);
  return out;
}

export interface DecodedSnapshot {
  header: SnapshotHeader;
  keyMeans?: Float32Array;   // header.keyMeans decoded
  // rows per [layer][kvHead]: k and v the bytes of the n - nw rows of header.kvType, wk and wv the
  // bytes of the residual window's nw f16 rows (2 * headDim bytes each; empty without a window)
  rows: { pos: Int32Array; k: Uint8Array; v: Uint8Array; wk: Uint8Array; wv: Uint8Array }[][];
}

// Reads a snapshot saved from the model `expect` names (else one error saying what differs).
export function decodeSnapshot(bytes: Uint8Array, expect: ModelIdentity): DecodedSnapshot {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError("restore: expected the bytes session.save() returned (a Uint8Array)");
  const bad = (why: string) => new SnapshotError(`restore: not a valid budgetkv session (${why})`);
  if (bytes.length < 16) throw bad(`${bytes.length} bytes is too short`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw bad("no BKVS magic: a foreign file");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (!READS.includes(version)) throw new SnapshotError(`restore: session format version ${version}; this build reads versions ${READS.join(" and ")}`);
  const end = bytes.length - 4;
  if (dv.getUint32(end, true) !== crc32(bytes.subarray(0, end))) throw bad("checksum mismatch: the data is truncated or corrupted");
  const h = dv.getUint32(8, true);
  if (12 + h > end) throw bad("header runs past the end");
  let header: SnapshotHeader;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + h)));
  } catch {
    throw bad("the header is not JSON");
  }
  const m = header?.model;
  if (!m || !Array.isArray(header.tokens) || typeof header.seen !== "number" || !KV_TYPES.includes(header.kvType) || (version === 1 && header.kvType !== "f32")) {
    throw bad("the header lacks model, tokens, seen or a known KV type");
  }
  let keyMeans: Float32Array | undefined;
  if (header.keyMeans !== undefined) {
    const n = m.nLayers * m.nKvHeads * m.headDim;
    let raw = "";
    try { raw = header.kvType === "q8_0" && typeof header.keyMeans === "string" ? atob(header.keyMeans) : ""; } catch { /* not base64 */ }
    if (raw.length === 4 * n) keyMeans = new Float32Array(Uint8Array.from(raw, (ch) => ch.charCodeAt(0)).buffer);
    if (!keyMeans || !keyMeans.every(Number.isFinite)) throw bad("keyMeans is not one finite f32 per layer, KV head and channel of a q8_0 cache");
  }
  const diff = identityMismatch(m, expect);
  if (diff !== undefined) throw new SnapshotError(`restore: the session was saved from model "${m.name}", not this model "${expect.name}" (${diff})`);
  const rb = kvRowBytes(header.kvType, m.headDim);
  let o = 12 + h + ((4 - (h % 4)) % 4);
  const rows: DecodedSnapshot["rows"] = [];
  for (let l = 0; l < m.nLayers; l++) {
    const heads: DecodedSnapshot["rows"][number] = [];
    rows.push(heads);
    for (let kh = 0; kh < m.nKvHeads; kh++) {
      if (o + 4 > end) throw bad("KV rows run past the end");
      const at = o, n = dv.getUint32(o, true); o += 4;
      let nw = 0;
      if (version >= 4) {
        if (o + 4 > end) throw bad("KV rows run past the end");
        nw = dv.getUint32(o, true); o += 4;
        if (nw > n || (nw > 0 && header.kvType !== "q8_0")) throw bad(`layer ${l} head ${kh}: ${nw} residual window rows of ${n} in a ${header.kvType} cache`);
      }
      if (at + headBytes(version, n, nw, rb, m.headDim) > end) throw bad("KV rows run past the end");
      const take = (len: number) => { const b = bytes.slice(o, o + len); o += len; return b; };
      const pos = new Int32Array(take(4 * n).buffer), k = take((n - nw) * rb), v = take((n - nw) * rb);
      const wk = take(2 * nw * m.headDim), wv = take(2 * nw * m.headDim);
      o += pad4(2 * (n - nw) * rb);
      for (let i = 0; i < n; i++) {
        if (!(pos[i] >= 0 && pos[i] < header.seen) || (i > 0 && pos[i] <= pos[i - 1])) throw bad(`layer ${l} head ${kh}: positions not ascending in [0, ${header.seen})`);
      }
      heads.push({ pos, k, v, wk, wv });
    }
  }
  if (o !== end) throw bad(`${end - o} bytes after the KV rows`);
  return { header, rows, keyMeans };
}

// Whether two identities name the same model; the first field that differs, or undefined.
export function identityMismatch(a: ModelIdentity, b: ModelIdentity): string | undefined {
  for (const k of ["arch", "dim", "nLayers", "nHeads", "nKvHeads", "headDim", "vocabSize", "weights"] as const) {
    if (a[k] !== b[k]) return `${k} ${a[k]} vs ${b[k]}`;
  }
  return undefined;
}
