// GGUF string arrays decoded in one batch (src/format/utf8-batch.ts): the same strings as one
// TextDecoder call per string on random and edge-case bytes, and on every shared GGUF the same
// vocabulary (tokens and merges) as llama.cpp's own reader (gguf-py; tests/fixtures/
// gguf-vocab-sha256.json, producer beside it).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { decodeUtf8Batch, utf16LengthIfValid } from "../src/format/utf8-batch.ts";
import { parseGGUFHeader } from "../src/format/gguf.ts";
import { mulberry32 } from "../src/util/rng.ts";
import { fixturePath, needFiles, sharedPath } from "./helpers/shared.ts";

const one = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function check(parts: Uint8Array[]): void {
  const total = parts.reduce((a, p) => a + p.length + 3, 0);
  const bytes = new Uint8Array(total).fill(0xff);   // ill-formed filler between the strings
  const start: number[] = [], end: number[] = [];
  let o = 0;
  for (const p of parts) { o += 3; bytes.set(p, o); start.push(o); o += p.length; end.push(o); }
  const got = decodeUtf8Batch(bytes, start, end);
  assert.deepEqual(got, parts.map((p) => one.decode(p)));
  for (const p of parts) {
    let valid = true;
    try { strict.decode(p); } catch { valid = false; }
    assert.equal(utf16LengthIfValid(p, 0, p.length) >= 0, valid, `validity of [${[...p].map((b) => b.toString(16))}]`);
  }
}

const u8 = (...b: number[]) => Uint8Array.from(b);
const enc = new TextEncoder();

describe("decodeUtf8Batch", () => {
  it("edge cases: empty, BOM kept, 2-4 byte characters, ill-formed, truncated and overlong sequences, surrogates", () => {
    check([]);
    check([u8()]);
    check([u8(), u8(0x61), u8()]);
    check([u8(0xef, 0xbb, 0xbf), u8(0xef, 0xbb, 0xbf, 0x61)]);            // a BOM at a string's start is a character
    check([enc.encode("ĠHello"), enc.encode("▁the"), enc.encode("日本"), enc.encode("🦙🦙"), enc.encode("\u0000\n")]);
    check([u8(0xe6, 0x97), u8(0xa5), u8(0xf0, 0x9f, 0xa6)]);             // a character split over strings stays split
    check([u8(0xc0, 0x80), u8(0xe0, 0x80, 0x80), u8(0xf0, 0x80, 0x80, 0x80)]);   // overlongs
    check([u8(0xed, 0xa0, 0x80), u8(0xed, 0x9f, 0xbf), u8(0xf4, 0x90, 0x80, 0x80), u8(0xf4, 0x8f, 0xbf, 0xbf)]);  // surrogate, last before, past U+10FFFF, U+10FFFF
    check([u8(0x80), u8(0xbf, 0x61), u8(0xf5, 0x80), u8(0xff), u8(0xc2), u8(0x61, 0xc2)]);
    check([new Uint8Array(200).fill(0x61), enc.encode("é".repeat(100))]);   // longer than the byte-loop cut-off
  });

  it("random strings: mostly well-formed text, some random bytes", () => {
    const r = mulberry32(7);
    const pick = ["a", "Ġ", "▁", "é", "ß", "日", "🦙", "\u0000", " ", "\uFEFF", "ÿ"];
    for (let round = 0; round < 40; round++) {
      const parts: Uint8Array[] = [];
      const n = Math.floor(r() * 300);
      for (let i = 0; i < n; i++) {
        const len = Math.floor(r() * (r() < 0.05 ? 120 : 8));
        if (r() < 0.1) parts.push(Uint8Array.from({ length: len }, () => Math.floor(r() * 256)));
        else parts.push(enc.encode(Array.from({ length: len }, () => pick[Math.floor(r() * pick.length)]).join("")));
      }
      check(parts);
    }
  });
});

interface VocabFixture { files: Record<string, { file_sha256: string; tokens: { count: number; sha256: string } | null; merges: { count: number; sha256: string } | null }> }

function stringsSha256(xs: readonly string[]): string {
  const h = createHash("sha256"), len = new Uint8Array(4);
  for (const s of xs) {
    const b = enc.encode(s);
    new DataView(len.buffer).setUint32(0, b.length, true);
    h.update(len);
    h.update(b);
  }
  return h.digest("hex");
}

describe("GGUF vocabularies", () => {
  const fx = JSON.parse(readFileSync(fixturePath("gguf-vocab-sha256.json"), "utf8")) as VocabFixture;
  for (const [rel, want] of Object.entries(fx.files)) {
    it(`${rel}: tokens and merges as llama.cpp's gguf-py reads them`, { skip: needFiles(rel) }, () => {
      const bytes = new Uint8Array(readFileSync(sharedPath(rel)));
      assert.equal(createHash("sha256").update(bytes).digest("hex"), want.file_sha256, `${rel} is not the file the fixture was made from`);
      const meta = parseGGUFHeader(bytes, bytes.length, rel).metadata;
      for (const key of ["tokens", "merges"] as const) {
        const v = meta.get(`tokenizer.ggml.${key}`) as string[] | undefined;
        if (want[key] === null) { assert.equal(v, undefined); continue; }
        assert.equal(v!.length, want[key]!.count, `${rel} ${key}`);
        assert.equal(stringsSha256(v!), want[key]!.sha256, `${rel} ${key}`);
      }
    });
  }
  it("covers every GGUF in the shared folder", { skip: needFiles("models/vocab") }, () => {
    const here = ["models", "models/vocab"].flatMap((d) => readdirSync(sharedPath(d)).filter((f) => f.endsWith(".gguf")).map((f) => `${d}/${f}`));
    assert.deepEqual(here.filter((f) => !(f in fx.files)), [], "GGUF files the fixture does not cover (rerun its producer)");
  });
});
