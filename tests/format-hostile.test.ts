// Hostile input: truncated files, random byte flips in headers, and hand-made headers with huge
// counts, lengths and dimensions. Every outcome must be a model or a typed error (ModelFormatError,
// or SourceError for I/O), never a crash, a hang, a RangeError from a typed array or an
// allocation the size of a corrupt length.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { Rng } from "./helpers/rand.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { ggufMetadata, ggufModel, hfConfigJson, hfTensors, smallConfig } from "./helpers/models.ts";
import { openModel } from "../src/format/model-file.ts";
import { readGGUFHeader } from "../src/format/gguf-model.ts";
import { writeGGUF } from "../src/format/gguf-writer.ts";
import { writeSafetensors } from "../src/format/safetensors-writer.ts";
import { ModelFormatError } from "../src/format/errors.ts";
import { type ByteSource, SourceError, memorySource } from "../src/io/source.ts";

// A hang guard, not a speed check: each case is a few ms, and a parser that loops on a corrupt
// count fails here instead of stalling the suite. Generous, since CI machines are shared.
const TIME_LIMIT = 120_000; // ms for the whole file

// "ok" or "error"; anything but a typed error fails the test with the input that caused it
async function outcome(open: () => Promise<Awaited<ReturnType<typeof openModel>>>, label: string): Promise<"ok" | "error"> {
  try {
    const m = await open();
    for (const e of m.tensors.values()) assert.equal((await e.read()).length, e.nbytes);
    await m.close();
    return "ok";
  } catch (e) {
    if (e instanceof ModelFormatError || e instanceof SourceError) return "error";
    throw new Error(`${label}: untyped ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
}

const fileModel = (b: Uint8Array) => () => openModel(memorySource(b, "hostile"));
// a folder over bytes in memory (Blobs would copy every file on every attempt)
const hfModel = (files: Map<string, Uint8Array>) => () => openModel({
  name: "hostile",
  tryOpen: async (n: string) => (files.has(n) ? memorySource(files.get(n)!, n) : undefined),
});

// offsets to cut at: the first bytes densely, then spread over the file
function cuts(rng: Rng, size: number, n: number): number[] {
  if (n === 0) return [];
  const s = new Set<number>([0, 1, 3, 4, 7, 8, 9, 16, 24, 27, 28, 31, 32, 64, 255, 256, 257, size - 1].filter((x) => x < size));
  while (s.size < n) s.add(rng.int(0, size - 1));
  return [...s];
}

// truncations must all fail (at every cut below `minSize`); flips in [0, headerEnd) may go either way
async function torture(name: string, bytes: Uint8Array, open: (b: Uint8Array) => () => Promise<Awaited<ReturnType<typeof openModel>>>, opts: { headerEnd: number; minSize?: number; nCuts: number; nFlips: number; seed: number }) {
  const rng = new Rng(opts.seed);
  assert.equal(await outcome(open(bytes), `${name} intact`), "ok");
  for (const at of cuts(rng, opts.minSize ?? bytes.length, opts.nCuts)) {
    assert.equal(await outcome(open(bytes.subarray(0, at)), `${name} cut at ${at}`), "error", `${name} cut at ${at} opened`);
  }
  const copy = bytes.slice();
  const counts = { ok: 0, error: 0 };
  for (let i = 0; i < opts.nFlips; i++) {
    const at = rng.int(0, opts.headerEnd - 1), was = copy[at];
    copy[at] = was ^ rng.int(1, 255);
    counts[await outcome(open(copy), `${name} byte ${at}: ${was} -> ${copy[at]}`)]++;
    copy[at] = was;
  }
  // most flips in a header must be caught, so the parser does look at what it reads
  assert.ok(counts.error > opts.nFlips / 4, `${name}: only ${counts.error} of ${opts.nFlips} header flips were rejected`);
}

async function ggufDataEnd(b: Uint8Array): Promise<{ dataOffset: number; end: number }> {
  const h = await readGGUFHeader(memorySource(b, "x"));
  return { dataOffset: h.dataOffset, end: Math.max(...h.tensors.map((t) => h.dataOffset + t.offset + t.nbytes)) };
}

describe("hostile input: truncations and byte flips", { timeout: TIME_LIMIT }, () => {
  for (const [file, nCuts, nFlips] of [["stories260K.gguf", 40, 150], ["tinystories-656k-q8_0.gguf", 30, 100], ["llama-2-tiny-random.gguf", 8, 10]] as const) {
    it(`models/${file}`, { skip: needFiles(`models/${file}`) }, async () => {
      const b = new Uint8Array(await readFile(sharedPath("models", file)));
      const { dataOffset, end } = await ggufDataEnd(b);
      await torture(file, b, fileModel, { headerEnd: dataOffset, minSize: end, nCuts, nFlips, seed: b.length });
    });
  }

  for (const file of ["stories260K.bin", "babyllama-tok105/model5000.bin"]) {
    it(`models/${file}`, { skip: needFiles(`models/${file}`) }, async () => {
      const b = new Uint8Array(await readFile(sharedPath("models", file)));
      await torture(file, b, fileModel, { headerEnd: 28, nCuts: 40, nFlips: 150, seed: 1 });
    });
  }

  it("models/tinystories-656k (model.safetensors and config.json)", { skip: needFiles("models/tinystories-656k/model.safetensors") }, async () => {
    const dir = sharedPath("models", "tinystories-656k");
    const files = new Map<string, Uint8Array>();
    for (const f of ["config.json", "model.safetensors", "tokenizer_config.json"]) files.set(f, new Uint8Array(await readFile(`${dir}/${f}`)));
    const st = files.get("model.safetensors")!;
    const withWeights = (b: Uint8Array) => hfModel(new Map([...files, ["model.safetensors", b]]));
    await torture("model.safetensors", st, withWeights, { headerEnd: 8 + 2160, nCuts: 40, nFlips: 200, seed: 2 });
    const withConfig = (b: Uint8Array) => hfModel(new Map([...files, ["config.json", b]]));
    // a cut config.json is usually invalid JSON; a few cuts inside whitespace are not, so no "must fail" here
    const cfg = files.get("config.json")!;
    const rng = new Rng(3);
    for (let i = 0; i < 60; i++) await outcome(withConfig(cfg.subarray(0, rng.int(0, cfg.length - 1))), "config.json cut");
    await torture("config.json", cfg, withConfig, { headerEnd: cfg.length, nCuts: 0, nFlips: 100, seed: 4 });
  });

  it("written GGUF with every quantized type, written sharded safetensors, written llama2.c v1", async () => {
    const c = smallConfig({ dim: 256, hiddenDim: 256, headDim: 64, ropeDim: 64, nLayers: 1, vocabSize: 8 });
    const types = ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k", "q6_k", "f16", "bf16"] as const;
    let i = 0;
    const { bytes } = ggufModel(c, new Rng(9), () => types[i++ % types.length], { alignment: 64 });
    const { dataOffset, end } = await ggufDataEnd(bytes);
    await torture("written.gguf", bytes, fileModel, { headerEnd: dataOffset, minSize: end, nCuts: 40, nFlips: 200, seed: 5 });

    const h = smallConfig({ ropeStyle: "half" });
    const tensors = hfTensors(h, new Rng(6), (n) => (n.includes("attn") ? "F16" : "BF16"));
    const shards = [writeSafetensors(tensors.slice(0, 9)), writeSafetensors(tensors.slice(9))];
    const weightMap = Object.fromEntries(tensors.map((t, k) => [t.name, k < 9 ? "a.safetensors" : "b.safetensors"]));
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const files = new Map([["config.json", enc(hfConfigJson(h))], ["model.safetensors.index.json", enc({ weight_map: weightMap })], ["a.safetensors", shards[0]], ["b.safetensors", shards[1]]]);
    const n1 = Number(new DataView(shards[1].buffer).getBigUint64(0, true));
    await torture("b.safetensors", shards[1], (b) => hfModel(new Map([...files, ["b.safetensors", b]])), { headerEnd: 8 + n1, nCuts: 30, nFlips: 150, seed: 7 });
    const index = files.get("model.safetensors.index.json")!;
    await torture("index.json", index, (b) => hfModel(new Map([...files, ["model.safetensors.index.json", b]])), { headerEnd: index.length, nCuts: 0, nFlips: 100, seed: 8 });
  });

});

// A source of `size` bytes whose first bytes are `head` and the rest zeros, without holding them:
// lets a test claim a terabyte file and check that nothing allocates what a corrupt length asks for.
function sparseSource(head: Uint8Array, size: number): ByteSource & { maxRead: number } {
  const s = {
    name: "sparse", size, maxRead: 0,
    async read(offset: number, length: number) {
      if (offset < 0 || length < 0 || offset + length > size) throw new SourceError("sparse", "outside");
      s.maxRead = Math.max(s.maxRead, length);
      if (length > 1 << 28) throw new Error(`read of ${length} bytes: a corrupt length was trusted`);
      const b = new Uint8Array(length);
      if (offset < head.length) b.set(head.subarray(offset, Math.min(head.length, offset + length)));
      return b;
    },
    async close() {},
  };
  return s;
}

describe("hostile input: hand-made headers", () => {
  const enc = new TextEncoder();

  // a GGUF header: magic, version, counts, then raw bytes
  const gguf = (nTensors: bigint, nKV: bigint, ...parts: Uint8Array[]): Uint8Array => {
    const head = new Uint8Array(24);
    const dv = new DataView(head.buffer);
    dv.setUint32(0, 0x46554747, true); dv.setUint32(4, 3, true);
    dv.setBigUint64(8, nTensors, true); dv.setBigUint64(16, nKV, true);
    const out = new Uint8Array(head.length + parts.reduce((n, p) => n + p.length, 0));
    let p = 0;
    for (const x of [head, ...parts]) { out.set(x, p); p += x.length; }
    return out;
  };
  const u32 = (v: number) => new Uint8Array(new Uint32Array([v]).buffer);
  const u64 = (v: bigint) => new Uint8Array(new BigUint64Array([v]).buffer);
  const str = (s: string) => { const b = enc.encode(s); return new Uint8Array([...u64(BigInt(b.length)), ...b]); };

  async function fails(src: ByteSource | Uint8Array, pattern: RegExp): Promise<void> {
    await assert.rejects(openModel(src), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
      assert.match(e.message, pattern);
      return true;
    });
  }

  it("GGUF: huge counts, string and array lengths, deep nesting, bad types, in a claimed 1 TB file", async () => {
    const TB = 2 ** 40;
    await fails(sparseSource(gguf(1n << 62n, 0n), TB), /tensor_count = \S+: more tensors than a \d+-byte file can hold/);
    await fails(sparseSource(gguf(0n, 1n << 45n), TB), /metadata_kv_count = 35184372088832: more metadata entries/);
    await fails(sparseSource(gguf(1n << 37n, 0n), TB), /tensor_count = 137438953472: more tensors/);
    await fails(sparseSource(gguf(0n, 1n, u64(1n << 50n)), TB), /metadata key #0 = \d+: string length runs past the end/);
    const big = sparseSource(gguf(0n, 1n, str("k"), u32(8), u64(BigInt(2 ** 33))), TB);
    await fails(big, /header: needs more than 268435456 bytes; the file is corrupt/);
    assert.ok(big.maxRead <= 1 << 20);
    await fails(sparseSource(gguf(0n, 1n, str("k"), u32(9), u32(4), u64(1n << 36n)), TB), /header: needs more than/);
    await fails(gguf(0n, 1n, str("k"), u32(9), u32(4), u64(1n << 45n)), /k array length = \d+: runs past the end/);
    const nested = [str("deep"), u32(9)];
    for (let d = 0; d < 20; d++) nested.push(u32(9), u64(1n));
    await fails(gguf(0n, 1n, ...nested, u32(0), u64(0n)), /deep: arrays nested more than 8 deep/);
    await fails(gguf(0n, 1n, str("k"), u32(13)), /k = 13: unknown metadata value type/);
    await fails(gguf(0n, 1n, str("k"), u32(7), new Uint8Array([2])), /k = 2: invalid bool/);
    await fails(gguf(0n, 1n, str("k"), u32(9), u32(99), u64(1n)), /k array type = 99: unknown metadata value type/);
    const v1 = gguf(0n, 0n); new DataView(v1.buffer).setUint32(4, 1, true);
    await fails(v1, /version = 1: unsupported GGUF version/);
    await fails(sparseSource(gguf(0n, 0n), TB), /general\.architecture: required metadata key is missing/);
  });

  it("GGUF: bad alignment, misaligned and overlapping offsets, impossible dimensions, unknown types", async () => {
    const c = smallConfig();
    const base = ggufMetadata(c);
    const tensor = (name: string, ne: bigint[], type: number, offset: bigint) =>
      new Uint8Array([...str(name), ...u32(ne.length), ...ne.flatMap((d) => [...u64(d)]), ...u32(type), ...u64(offset)]);
    const file = (align: number | undefined, ...tensors: Uint8Array[]) => {
      const meta = writeGGUF({ metadata: align === undefined ? base : [...base, ["general.alignment", "u32", align]], tensors: [] });
      const body = meta.subarray(24);
      const out = gguf(BigInt(tensors.length), BigInt(base.length + (align === undefined ? 0 : 1)), body, ...tensors, new Uint8Array(4096));
      return out;
    };
    for (const a of [0, 3, 48, 1 << 30]) await fails(file(a), new RegExp(`general\\.alignment = ${a}: must be a power of two`));
    await fails(file(undefined, tensor("a", [4n], 0, 4n)), /tensor a offset = 4: not a multiple of the alignment 32/);
    await fails(file(undefined, tensor("a", [64n], 0, 0n), tensor("b", [8n], 0, 224n)), /tensor b offset = 224: overlaps tensor a \[0, 256\)/);
    await fails(file(undefined, tensor("a", [1n << 40n], 0, 0n)), /tensor a dim 0 = \d+: invalid dimension/);
    await fails(file(undefined, tensor("a", [0n], 0, 0n)), /tensor a dim 0 = 0: invalid dimension/);
    await fails(sparseSource(file(undefined, tensor("a", [1n << 16n, 1n << 16n, 1n << 16n, 1n << 16n], 0, 0n)), 2 ** 40), /tensor a: data \[\d+, \d+\) runs past the end/);
    await fails(file(undefined, tensor("a", [], 0, 0n)), /tensor a n_dims = 0: must be 1\.\.4/);
    await fails(file(undefined, tensor("a", [1n, 1n, 1n, 1n, 1n], 0, 0n)), /tensor a n_dims = 5/);
    await fails(file(undefined, tensor("a", [33n], 8, 0n)), /tensor a ne\[0\] = 33: not a multiple of the Q8_0 block size 32/);
    await fails(file(undefined, tensor("a", [32n], 99, 0n)), /tensor a type = "type 99": tensor type not supported/);
    await fails(file(undefined, tensor("a", [32n], 0, 0n), tensor("a", [32n], 0, 128n)), /tensor a: duplicate tensor name/);
  });

  it("safetensors: a header length past the limit, deep JSON; llama2.c: huge plausible dims", async () => {
    const h = new Uint8Array(16);
    new DataView(h.buffer).setBigUint64(0, BigInt(2 ** 30), true);
    h[8] = 0x7b;
    const st = sparseSource(h, 2 ** 40);
    await assert.rejects(openModel(st), /config\.json: a safetensors model needs its config\.json/);
    const folder = new Map<string, Blob>([["config.json", new Blob([JSON.stringify(hfConfigJson(smallConfig()))])]]);
    const deep = "[".repeat(100000) + "]".repeat(100000);
    const b = new Uint8Array(8 + deep.length);
    new DataView(b.buffer).setBigUint64(0, BigInt(deep.length), true);
    b.set(enc.encode(deep), 8);
    folder.set("model.safetensors", new Blob([b]));
    assert.equal(await outcome(() => openModel(folder), "deep JSON"), "error");
    // the largest header llama2.c sniffing accepts, in a small file: a size error, nothing allocated
    const l2 = new Int32Array([1 << 16, 1 << 18, 1024, 1 << 10, 1 << 10, -(1 << 22), 1 << 22]);
    const src = sparseSource(new Uint8Array(l2.buffer), 4096);
    await fails(src, /file size = 4096: the header .* implies \d+ bytes \(truncated\?\)/);
    assert.ok(src.maxRead <= 256);
  });
});
