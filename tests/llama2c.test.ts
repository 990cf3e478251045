import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { openModel } from "../src/format/model-file.ts";
import { openLlama2c, sniffLlama2c } from "../src/format/llama2c.ts";
import { ModelFormatError } from "../src/format/errors.ts";
import { memorySource } from "../src/io/source.ts";

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

interface Dims { dim: number; hidden: number; layers: number; heads: number; kvHeads: number; vocab: number; seqLen: number }

// A llama2.c checkpoint written independently of the loader, following export.py's legacy_export
// and version1_export; returns the file and each canonical tensor's values.
function writeLlama2c(d: Dims, rng: Rng, version: 0 | 1, shared: boolean): { bytes: Uint8Array; tensors: Map<string, Float32Array> } {
  const kvDim = (d.dim * d.kvHeads) / d.heads, half = d.dim / d.heads / 2;
  const t = new Map<string, Float32Array>();
  const rand = (n: number) => rng.array(n, 1);
  const perLayer = (name: string, n: number) => Array.from({ length: d.layers }, (_, l) => { const a = rand(n); t.set(`blk.${l}.${name}`, a); return a; });
  const one = (name: string, n: number) => { const a = rand(n); t.set(name, a); return [a]; };
  const embd = one("token_embd.weight", d.vocab * d.dim);
  const attnNorm = perLayer("attn_norm.weight", d.dim), ffnNorm = perLayer("ffn_norm.weight", d.dim);
  const wq = perLayer("attn_q.weight", d.dim * d.dim), wk = perLayer("attn_k.weight", kvDim * d.dim);
  const wv = perLayer("attn_v.weight", kvDim * d.dim), wo = perLayer("attn_output.weight", d.dim * d.dim);
  const w1 = perLayer("ffn_gate.weight", d.hidden * d.dim), w2 = perLayer("ffn_down.weight", d.dim * d.hidden);
  const w3 = perLayer("ffn_up.weight", d.hidden * d.dim);
  const norm = one("output_norm.weight", d.dim);
  const cls = shared ? [] : one("output.weight", d.vocab * d.dim);
  const freqs = [rand(d.seqLen * half), rand(d.seqLen * half)];
  const order = version === 0
    ? [embd, attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, norm, freqs, cls]
    : [attnNorm, ffnNorm, norm, embd, wq, wk, wv, wo, w1, w2, w3, cls];
  const arrays = order.flat();
  const header = version === 0 ? 28 : 256;
  const bytes = new Uint8Array(header + 4 * arrays.reduce((n, a) => n + a.length, 0));
  const dv = new DataView(bytes.buffer);
  let p = 0;
  if (version === 1) { dv.setUint32(0, 0x616b3432, true); dv.setInt32(4, 1, true); p = 8; }
  for (const v of [d.dim, d.hidden, d.layers, d.heads, d.kvHeads, version === 0 && !shared ? -d.vocab : d.vocab, d.seqLen]) { dv.setInt32(p, v, true); p += 4; }
  if (version === 1) bytes[36] = shared ? 1 : 0;
  p = header;
  for (const a of arrays) { bytes.set(new Uint8Array(a.buffer), p); p += a.byteLength; }
  return { bytes, tensors: t };
}

const f32 = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.length / 4);

describe("llama2.c: the real checkpoints", () => {
  it("stories260K.bin and stories260K.gguf: same config, bit-identical tensors", { skip: needFiles("models/stories260K.bin", "models/stories260K.gguf") }, async () => {
    const bin = await openModel(sharedPath("models/stories260K.bin"));
    const gguf = await openModel(sharedPath("models/stories260K.gguf"));
    assert.equal(bin.format, "llama2c");
    // the two differences PROVENANCE.md records: the converter wrote context_length 2048 (trained
    // at 512), and stored output.weight as a copy where the .bin shares the classifier
    assert.deepEqual({ ...bin.config, contextLength: 2048, tiedEmbeddings: false }, gguf.config);
    assert.equal(bin.config.contextLength, 512);
    assert.equal(bin.config.tiedEmbeddings, true);
    assert.equal(bin.tensors.size, gguf.tensors.size - 1);
    for (const [name, e] of bin.tensors) {
      const g = gguf.tensors.get(name)!;
      assert.deepEqual(e.shape, g.shape, name);
      assert.deepEqual(await e.read(), await g.read(), name);
    }
    assert.deepEqual(await bin.tensors.get("token_embd.weight")!.read(), await gguf.tensors.get("output.weight")!.read());
    await bin.close();
    await gguf.close();
  });

  it("babyllama model5000.bin: the header PROVENANCE.md records", { skip: needFiles("models/babyllama-tok105/model5000.bin") }, async () => {
    const m = await openModel(sharedPath("models/babyllama-tok105/model5000.bin"));
    assert.deepEqual(m.config, {
      arch: "llama", dim: 128, hiddenDim: 352, nLayers: 5, nHeads: 8, nKvHeads: 4, headDim: 16, vocabSize: 105,
      contextLength: 256, normEps: 1e-5, ropeTheta: 10000, ropeDim: 16, ropeStyle: "pairs",
      tiedEmbeddings: true, qkvBias: false, qkNorm: false,
    });
    const last = m.tensors.get("output_norm.weight")!;
    assert.ok(f32(await last.read()).every(Number.isFinite));
    await m.close();
  });
});

describe("llama2.c: written checkpoints", () => {
  const d: Dims = { dim: 32, hidden: 48, layers: 3, heads: 4, kvHeads: 2, vocab: 21, seqLen: 16 };
  for (const version of [0, 1] as const) {
    for (const shared of [true, false]) {
      it(`version ${version}, ${shared ? "shared" : "separate"} classifier: every tensor reads back`, async () => {
        const { bytes, tensors } = writeLlama2c(d, new Rng(version * 2 + Number(shared)), version, shared);
        const m = await openModel(bytes);
        assert.equal(m.format, "llama2c");
        assert.equal(m.config.tiedEmbeddings, shared);
        assert.equal(m.config.nKvHeads, 2);
        assert.equal(m.config.vocabSize, 21);
        assert.equal(m.tensors.size, tensors.size);
        for (const [name, want] of tensors) assert.deepEqual(f32(await m.tensors.get(name)!.read()), want, name);
      });
    }
  }

  it("a truncated or oversized file names the expected and actual sizes", async () => {
    for (const version of [0, 1] as const) {
      const { bytes } = writeLlama2c(d, new Rng(1), version, true);
      const n = bytes.length;
      await rejects(openLlama2c(memorySource(bytes.subarray(0, n - 4), "m.bin")), new RegExp(`file size = ${n - 4}: the header \\(dim 32, .*\\) implies ${n} bytes \\(truncated\\?\\)`));
      const big = new Uint8Array(n + 8);
      big.set(bytes);
      await rejects(openLlama2c(memorySource(big, "m.bin")), new RegExp(`file size = ${n + 8}: .* implies ${n} bytes$`));
    }
  });

  it("version 2 (int8) and unknown versions are named; implausible headers are not sniffed as llama2.c", async () => {
    const { bytes } = writeLlama2c(d, new Rng(1), 1, true);
    new DataView(bytes.buffer).setInt32(4, 2, true);
    await rejects(openModel(bytes), /version = 2: llama2\.c version 2 \(int8 Q8_0 export\) is not supported/);
    new DataView(bytes.buffer).setInt32(4, 9, true);
    await rejects(openModel(bytes), /version = 9: unknown llama2\.c export version/);
    const h = new Int32Array([64, 172, 5, 8, 3, 512, 512]); // 8 heads, 3 kv heads
    assert.match(String(sniffLlama2c(new Uint8Array(h.buffer))), /n_kv_heads 3 \(n_heads 8\)/);
    assert.equal(sniffLlama2c(new Uint8Array(new Int32Array([64, 172, 5, 8, 4, -512, 512]).buffer)), true);
  });
});
