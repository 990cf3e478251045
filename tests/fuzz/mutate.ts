// Mutations as plain JSON objects, so a failing case prints as a reproducer and replays exactly.
// Each op edits one file of a target:
//   flip   xor one byte (header bytes preferred)          trunc  cut the file to `len` bytes
//   int    write an interesting integer into a header field (count, length, offset, dim, type)
//   float  write an interesting float into a header field or into the tensor data (NaN, Inf, ...)
//   json   edit a JSON file (or a safetensors header) at a path: set a value, delete, nest deep,
//          or grow a string to a megabyte by repeating it (a 1 MB Prepend, Replace content or
//          pattern in tokenizer.json, a 1 MB dtype or model_type)
import type { Field, SeedFile, Target } from "./corpus.ts";
import type { Rng } from "../helpers/rand.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
// special values JSON cannot hold, written as markers: a nested array `deep` levels deep, a long
// string, a number literal, the string already at the path repeated to at least `grow` characters
export type JsonSpecial = { deep: number } | { long: number } | { big: string } | { grow: number };

export type Op =
  | { f: string; k: "flip"; at: number; xor: number }
  | { f: string; k: "trunc"; len: number }
  | { f: string; k: "int"; at: number; kind: Field["kind"]; v: string; role: string }
  | { f: string; k: "float"; at: number; kind: "f32" | "f64" | "u16"; v: number | string; role: string }
  | { f: string; k: "json"; path: (string | number)[]; del?: true; v?: JsonValue; special?: JsonSpecial };

export interface Case { target: string; ops: Op[] }

const enc = new TextEncoder(), dec = new TextDecoder();

// ---- applying ----

export function applyOps(t: Target, ops: Op[]): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>(Object.entries(t.files).map(([k, v]) => [k, v.bytes]));
  for (const op of ops) {
    const b = files.get(op.f);
    if (!b) continue;
    files.set(op.f, applyOne(b, op, t.files[op.f]));
  }
  return files;
}

function applyOne(b: Uint8Array, op: Op, seed: SeedFile): Uint8Array {
  switch (op.k) {
    case "flip": { const c = b.slice(); if (op.at < c.length) c[op.at] ^= op.xor; return c; }
    case "trunc": return b.slice(0, op.len);
    case "int": {
      const c = b.slice();
      const dv = new DataView(c.buffer);
      const w = op.kind === "u64" ? 8 : op.kind === "u8" ? 1 : 4;
      if (op.at + w > c.length) return c;
      const v = BigInt(op.v);
      if (op.kind === "u64") dv.setBigUint64(op.at, BigInt.asUintN(64, v), true);
      else if (op.kind === "u8") dv.setUint8(op.at, Number(BigInt.asUintN(8, v)));
      else dv.setUint32(op.at, Number(BigInt.asUintN(32, v)), true);
      return c;
    }
    case "float": {
      const c = b.slice();
      const dv = new DataView(c.buffer);
      const v = typeof op.v === "string" ? Number(op.v) : op.v;
      const w = op.kind === "f64" ? 8 : op.kind === "u16" ? 2 : 4;
      if (op.at + w > c.length) return c;
      if (op.kind === "f64") dv.setFloat64(op.at, v, true);
      else if (op.kind === "u16") dv.setUint16(op.at, v, true); // raw f16/bf16 bits
      else dv.setFloat32(op.at, v, true);
      return c;
    }
    case "json":
      // a document an earlier op nested past what JSON.stringify can recurse through stays as it is
      try { return seed.stHeader ? editSafetensorsHeader(b, op) : editJsonText(b, op); } catch { return b; }
  }
}

function special(s: JsonSpecial, cur: unknown): string {
  if ("deep" in s) return "[".repeat(s.deep) + "]".repeat(s.deep);
  if ("long" in s) return JSON.stringify("x".repeat(s.long));
  if ("grow" in s) { const u = typeof cur === "string" && cur !== "" ? cur : "x"; return JSON.stringify(u.repeat(Math.ceil(s.grow / u.length))); }
  return s.big; // a number literal past what a double holds (1e400 parses as Infinity)
}

// Serializes `doc` with the edit applied; special values are spliced into the text.
function editJson(doc: unknown, op: Extract<Op, { k: "json" }>): string {
  const MARK = "\u0000FUZZ\u0000";
  const root = { r: doc } as Record<string, unknown>;
  let parent: unknown = root, key: string | number = "r";
  for (const p of op.path) {
    const cur = (parent as Record<string | number, unknown>)[key];
    if (cur === null || typeof cur !== "object") break;
    parent = cur; key = p;
  }
  const obj = parent as Record<string | number, unknown>;
  const cur = obj[key];
  if (op.del) {
    if (Array.isArray(obj) && typeof key === "number") obj.splice(key, 1);
    else delete obj[key];
  } else obj[key] = op.special ? MARK : op.v;
  const text = JSON.stringify(root.r) ?? "null";
  return op.special ? text.replace(JSON.stringify(MARK), () => special(op.special!, cur)) : text;
}

function editJsonText(b: Uint8Array, op: Extract<Op, { k: "json" }>): Uint8Array {
  let doc: unknown;
  try { doc = JSON.parse(dec.decode(b)); } catch { return b; }
  return enc.encode(editJson(doc, op));
}

function editSafetensorsHeader(b: Uint8Array, op: Extract<Op, { k: "json" }>): Uint8Array {
  if (b.length < 8) return b;
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  if (8 + n > b.length) return b;
  let doc: unknown;
  try { doc = JSON.parse(dec.decode(b.subarray(8, 8 + n))); } catch { return b; }
  const h = enc.encode(editJson(doc, op));
  const out = new Uint8Array(8 + h.length + b.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(b.subarray(8 + n), 8 + h.length);
  return out;
}

// ---- generating ----

const U32 = [0n, 1n, 2n, 3n, 7n, 8n, 9n, 12n, 13n, 16n, 31n, 33n, 255n, 256n, 4096n, 65535n, 65536n, 1n << 20n, 0x7fffffffn, 0x80000000n, 0xffffffffn];
const U64 = [...U32, 1n << 32n, 1n << 40n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
const FLOATS = [Number.NaN, Infinity, -Infinity, 0, -0, -1, 1e-45, 1e-30, 1e30, 3.4e38, 65504, 2];
const F16_BITS = [0x7c00, 0xfc00, 0x7e00, 0x7bff, 0xffff];

function pick<T>(rng: Rng, a: readonly T[]): T { return a[rng.int(0, a.length - 1)]; }

function interestingInt(rng: Rng, f: Field, b: Uint8Array): bigint {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const orig = f.kind === "u64" ? dv.getBigUint64(f.at, true) : f.kind === "u8" ? BigInt(b[f.at]) : f.kind === "i32" ? BigInt(dv.getInt32(f.at, true)) : BigInt(dv.getUint32(f.at, true));
  const r = rng.next();
  if (r < 0.35) return orig + BigInt(pick(rng, [-2, -1, 1, 2, 8, 32, -32]));
  if (r < 0.5) return orig * BigInt(pick(rng, [2, 4, 1000])) / BigInt(pick(rng, [1, 2, 3]));
  if (f.kind === "i32" && r < 0.6) return -pick(rng, [1n, 2n, orig, 0x80000000n]);
  return pick(rng, f.kind === "u64" ? U64 : U32);
}

const JSON_VALUES: JsonValue[] = [null, true, false, 0, -1, 1, 2, 0.5, 1e9, 1e308, -1e308, 1e-300, "", "x", "[(", "(?<", "\\", [], {}, [1, 2], [[1]], { a: 1 }, 1e100, 4294967296, 9007199254740993];

// a random node of a JSON document, by descent: wide maps and long arrays are not favoured
function randomPath(rng: Rng, doc: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  let cur = doc;
  for (;;) {
    if (cur === null || typeof cur !== "object") return path;
    const keys: (string | number)[] = Array.isArray(cur) ? cur.map((_, i) => i) : Object.keys(cur);
    if (!keys.length || (path.length > 0 && rng.next() < 0.3)) return path;
    const k = pick(rng, keys);
    path.push(k);
    cur = (cur as Record<string | number, unknown>)[k];
  }
}

// A random string leaf of a JSON document: a top-level key first (so the few strings of a
// tokenizer.json's normalizer are not drowned by its thousands of merges), then a string below it.
function stringPath(rng: Rng, doc: unknown): (string | number)[] | undefined {
  if (doc === null || typeof doc !== "object") return undefined;
  const tops = Object.keys(doc).filter((k) => hasString((doc as Record<string, unknown>)[k], 0));
  if (!tops.length) return undefined;
  const path: (string | number)[] = [pick(rng, tops)];
  let cur = (doc as Record<string, unknown>)[path[0] as string];
  while (typeof cur !== "string") {
    const o = cur as Record<string | number, unknown>;
    const keys = (Array.isArray(o) ? o.map((_, i) => i) : Object.keys(o)).filter((k) => hasString(o[k], 0));
    const k = pick(rng, keys);
    path.push(k);
    cur = o[k];
  }
  return path;
}

function hasString(v: unknown, depth: number): boolean {
  if (typeof v === "string") return true;
  if (v === null || typeof v !== "object" || depth > 32) return false;
  return (Array.isArray(v) ? v : Object.values(v)).some((x) => hasString(x, depth + 1));
}

function jsonOp(rng: Rng, f: string, doc: unknown): Op {
  if (rng.next() < 0.06) {
    const sp = stringPath(rng, doc);
    if (sp) return { f, k: "json", path: sp, special: { grow: 1 << 20 } };
  }
  let path = randomPath(rng, doc);
  if (!path.length) path = ["fuzz"];
  const r = rng.next();
  if (r < 0.2) return { f, k: "json", path, del: true };
  if (r < 0.27) return { f, k: "json", path, special: { deep: pick(rng, [100, 6000, 100000]) } };
  if (r < 0.3) return { f, k: "json", path, special: { long: 1 << 20 } };
  if (r < 0.33) return { f, k: "json", path, special: { big: pick(rng, ["1e400", "-1e400", "123456789012345678901234567890"]) } };
  if (r < 0.4) return { f, k: "json", path: [...path.slice(0, -1), `${path[path.length - 1]}_fuzz`], v: pick(rng, JSON_VALUES) };
  return { f, k: "json", path, v: pick(rng, JSON_VALUES) };
}

function parseHeader(s: SeedFile): unknown {
  try {
    if (s.stHeader) {
      const n = Number(new DataView(s.bytes.buffer, s.bytes.byteOffset).getBigUint64(0, true));
      return JSON.parse(dec.decode(s.bytes.subarray(8, 8 + n)));
    }
    return JSON.parse(dec.decode(s.bytes));
  } catch { return {}; }
}

const docs = new WeakMap<SeedFile, unknown>();

// One random op on one random file of the target.
export function randomOp(rng: Rng, t: Target): Op {
  const names = Object.keys(t.files);
  const f = pick(rng, names);
  const s = t.files[f];
  const len = s.bytes.length;
  const headerEnd = s.data ? s.data[0] : len;
  const r = rng.next();
  if (s.json || s.stHeader) {
    if (r < (s.json ? 0.7 : 0.35)) {
      if (!docs.has(s)) docs.set(s, parseHeader(s));
      return jsonOp(rng, f, docs.get(s));
    }
    if (s.json) {
      return r < 0.85 ? { f, k: "flip", at: rng.int(0, len - 1), xor: rng.int(1, 255) } : { f, k: "trunc", len: rng.int(0, len - 1) };
    }
  }
  if (r < 0.12) return { f, k: "trunc", len: rng.next() < 0.5 ? rng.int(0, Math.min(len, headerEnd + 64)) : rng.int(0, len - 1) };
  if (r < 0.45 && s.fields.length) {
    const fl = pick(rng, s.fields);
    if (fl.kind === "f32" || fl.kind === "f64") return { f, k: "float", at: fl.at, kind: fl.kind, v: String(pick(rng, FLOATS)), role: fl.role };
    return { f, k: "int", at: fl.at, kind: fl.kind, v: String(interestingInt(rng, fl, s.bytes)), role: fl.role };
  }
  if (r < 0.65 && s.data && s.data[1] > s.data[0] + 8) {
    // tensor data: a non-finite or huge value, as f32 or as f16 bits (the scales of q8_0 blocks)
    const at = s.data[0] + 2 * rng.int(0, (s.data[1] - s.data[0]) / 2 - 2);
    if (rng.next() < 0.5) return { f, k: "float", at: at & ~3, kind: "f32", v: String(pick(rng, FLOATS)), role: "data" };
    return { f, k: "float", at, kind: "u16", v: pick(rng, F16_BITS), role: "data" };
  }
  if (r < 0.8 && s.data) return { f, k: "flip", at: rng.int(s.data[0], Math.max(s.data[0], len - 1)), xor: 1 << rng.int(0, 7) };
  return { f, k: "flip", at: rng.int(0, Math.max(0, Math.min(len, headerEnd) - 1)), xor: rng.int(1, 255) };
}

export function randomCase(rng: Rng, targets: Target[]): Case {
  // formats equally often, then a target of that format
  const format = pick(rng, ["gguf", "llama2c", "hf"] as const);
  const of = targets.filter((t) => t.format === format);
  const t = of.length ? pick(rng, of) : pick(rng, targets);
  const n = rng.next() < 0.6 ? 1 : rng.next() < 0.75 ? 2 : 3;
  return { target: t.name, ops: Array.from({ length: n }, () => randomOp(rng, t)) };
}
