import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { canonicalShapes, hfConfigJson, hfName, hfTensors, randomBytes, smallConfig } from "./helpers/models.ts";
import type { ModelConfig } from "../src/model/config.ts";
import { openModel } from "../src/format/model-file.ts";
import { readSafetensorsHeader } from "../src/format/safetensors.ts";
import { type SafetensorsTensorSpec, writeSafetensors } from "../src/format/safetensors-writer.ts";
import { ModelFormatError } from "../src/format/errors.ts";
import { SourceError, memorySource } from "../src/io/source.ts";
import { loadWeights } from "../src/model/weights.ts";
import { dequantizeRow } from "../src/quant/index.ts";
import { WASM_BUILDS, runtimeFor, skipReason } from "./helpers/runtimes.ts";

const json = (v: unknown) => new Blob([JSON.stringify(v)]);

async function rejects(p: Promise<unknown>, pattern: RegExp, type: Function = ModelFormatError): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

// A Hugging Face folder in memory: config.json, model.safetensors and optional extras
function folder(c: ModelConfig, tensors: SafetensorsTensorSpec[], extra: Record<string, unknown> = {}, files: Record<string, Blob> = {}): Map<string, Blob> {
  return new Map<string, Blob>([
    ["config.json", json(hfConfigJson(c, extra))],
    ["model.safetensors", new Blob([writeSafetensors(tensors)])],
    ...Object.entries(files),
  ]);
}

describe("safetensors: tinystories-656k (the real folder)", () => {
  const need = needFiles("models/tinystories-656k/model.safetensors", "models/tinystories-656k/config.json");

  it("config.json maps to the config PROVENANCE.md records; token_embd is the stored lm_head", { skip: need }, async () => {
    const m = await openModel(sharedPath("models/tinystories-656k"));
    assert.equal(m.format, "safetensors");
    assert.deepEqual(m.config, {
      arch: "llama", dim: 128, hiddenDim: 384, nLayers: 2, nHeads: 8, nKvHeads: 4, headDim: 16, vocabSize: 2048,
      contextLength: 512, normEps: 1e-6, ropeTheta: 10000, ropeDim: 16, ropeStyle: "half", ropeScaling: undefined,
      tiedEmbeddings: true, qkvBias: false, qkNorm: false,
    });
    assert.equal(m.tensors.size, 20);
    assert.equal(m.tensors.has("output.weight"), false);
    const src = memorySource(new Uint8Array(await (await import("node:fs/promises")).readFile(sharedPath("models/tinystories-656k/model.safetensors"))), "st");
    const h = await readSafetensorsHeader(src);
    assert.equal(h.dataOffset, 8 + 2160);
    const lm = h.tensors.find((t) => t.name === "lm_head.weight")!;
    assert.deepEqual(await m.tensors.get("token_embd.weight")!.read(), await src.read(lm.offset, lm.nbytes));
    assert.equal(JSON.parse(m.hf!.tokenizerJson!).model.type, "BPE");
    assert.equal(m.hf!.tokenizerConfig!.bos_token, "<|start_story|>");
    assert.equal(m.hf!.tokenizerConfig!.add_bos_token, true);
    assert.equal(m.hf!.generationConfig!.eos_token_id, 2);
    assert.equal(m.chatTemplate, undefined);
    await m.close();
  });
});

// Random bytes as halves include NaN and Inf patterns, which the load-time weight scan refuses
// (tests/hostile-input.test.ts checks that): clear one exponent bit of those, so every value is finite.
function finiteHalves<T extends { dtype: string; data: Uint8Array }>(tensors: T[]): T[] {
  for (const t of tensors) {
    const top = t.dtype === "F16" ? 0x7c00 : t.dtype === "BF16" ? 0x7f80 : 0;
    if (!top) continue;
    const v = new Uint16Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 2);
    for (let i = 0; i < v.length; i++) if ((v[i] & top) === top) v[i] &= ~0x4000;
  }
  return tensors;
}

for (const build of [...WASM_BUILDS, "ts" as const]) {
  describe(`f16 / bf16 weights widen to f32 at load (${build})`, { skip: skipReason(build) }, () => {
    for (const dtype of ["F16", "BF16"]) {
      it(`${dtype}: every loaded tensor equals the TypeScript dequantizeRow, bit for bit`, async () => {
        const rt = await runtimeFor(build);
        const c = smallConfig({ ropeStyle: "half" });
        const m = await openModel(folder(c, finiteHalves(hfTensors(c, new Rng(5), () => dtype)), {}, { "tokenizer.json": new Blob(["{\"model\":{}}"]) }));
        const w = await loadWeights(rt, m);
        try {
          const check = async (name: string, t: { f32(): Float32Array }) => {
            const e = m.tensors.get(name)!;
            assert.equal(e.dtype, dtype.toLowerCase(), name);
            const want = new Float32Array(t.f32().length);
            dequantizeRow(e.dtype, await e.read(), want.length, want);
            assert.deepEqual(new Uint32Array(t.f32().slice().buffer), new Uint32Array(want.buffer), name);
          };
          await check("token_embd.weight", w.tokEmbd);
          await check("output_norm.weight", w.outNorm);
          await check("blk.0.attn_q.weight", w.layers[0].wq);
          await check(`blk.${c.nLayers - 1}.ffn_down.weight`, w.layers[c.nLayers - 1].wDown);
        } finally {
          w.dispose();
          await m.close();
        }
      });
    }
  });
}

describe("safetensors: writer/reader round trips", () => {
  for (const dtype of ["F32", "F16", "BF16"]) {
    it(`a llama folder in ${dtype} opens with its config and exact bytes under canonical names`, async () => {
      const c = smallConfig({ ropeStyle: "half" });
      const tensors = hfTensors(c, new Rng(dtype.length), () => dtype);
      const m = await openModel(folder(c, tensors, {}, { "tokenizer.json": new Blob(["{\"model\":{}}"]), "tokenizer_config.json": json({ chat_template: "T", bos_token: "<s>" }) }));
      assert.deepEqual(m.config, { ...c, ropeScaling: undefined });
      assert.equal(m.tensors.size, tensors.length);
      for (const [name, shape] of canonicalShapes(c)) {
        const e = m.tensors.get(name)!;
        assert.equal(e.dtype, dtype.toLowerCase(), name);
        assert.deepEqual(e.shape, shape, name);
        assert.deepEqual(await e.read(), tensors.find((t) => t.name === hfName(name))!.data, name);
      }
      assert.equal(m.chatTemplate, "T");
      assert.equal(m.hf!.tokenizerJson, "{\"model\":{}}");
      await m.close();
    });
  }

  it("sharded: model.safetensors.index.json maps tensors to three shards", async () => {
    const c = smallConfig({ ropeStyle: "half", tiedEmbeddings: true });
    const tensors = hfTensors(c, new Rng(11), (n) => (n.includes("ffn") ? "BF16" : "F32"));
    const shards = [tensors.slice(0, 5), tensors.slice(5, 12), tensors.slice(12)];
    const names = shards.map((_, i) => `model-0000${i + 1}-of-00003.safetensors`);
    const weightMap = Object.fromEntries(shards.flatMap((s, i) => s.map((t) => [t.name, names[i]])));
    const files = new Map<string, Blob>([
      ["config.json", json(hfConfigJson(c))],
      ["model.safetensors.index.json", json({ metadata: { total_size: 0 }, weight_map: weightMap })],
      ...shards.map((s, i): [string, Blob] => [names[i], new Blob([writeSafetensors(s)])]),
    ]);
    const m = await openModel(files);
    assert.deepEqual(m.config, { ...c, ropeScaling: undefined });
    for (const t of tensors) {
      const name = [...canonicalShapes(c).keys()].find((n) => hfName(n) === t.name)!;
      assert.deepEqual(await m.tensors.get(name)!.read(), t.data, name);
    }
    await m.close();
    // a tensor the index lists but its shard lacks, and a shard name leaving the folder
    const bad = new Map(files);
    bad.set("model.safetensors.index.json", json({ weight_map: { ...weightMap, "model.layers.1.mlp.down_proj.weight": names[0] } }));
    await rejects(openModel(bad), /tensor model\.layers\.1\.mlp\.down_proj\.weight: listed in model\.safetensors\.index\.json but not stored in this shard/);
    bad.set("model.safetensors.index.json", json({ weight_map: { ...weightMap, "model.norm.weight": "../secret.safetensors" } }));
    await rejects(openModel(bad), /weight_map\.model\.norm\.weight = "\.\.\/secret\.safetensors": expected a file name in the same folder/);
    bad.delete(names[1]);
    bad.set("model.safetensors.index.json", json({ weight_map: weightMap }));
    await rejects(openModel(bad), /model-00002-of-00003\.safetensors: no such file/, SourceError);
  });

  it("qwen2 (biases), qwen3 (q/k norms, head_dim), mistral; llama3 rope_scaling; HF defaults", async () => {
    const rng = new Rng(5);
    const q2 = smallConfig({ arch: "qwen2", ropeStyle: "half", qkvBias: true, tiedEmbeddings: true });
    assert.deepEqual((await openModel(folder(q2, hfTensors(q2, rng)))).config, { ...q2, ropeScaling: undefined });
    const q3 = smallConfig({ arch: "qwen3", ropeStyle: "half", qkNorm: true, headDim: 32, ropeDim: 32 });
    assert.deepEqual((await openModel(folder(q3, hfTensors(q3, rng)))).config, { ...q3, ropeScaling: undefined });
    const l3 = smallConfig({ ropeStyle: "half", ropeTheta: 500000 });
    const rope_scaling = { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    assert.deepEqual((await openModel(folder(l3, hfTensors(l3, rng), { rope_scaling }))).config.ropeScaling,
      { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    // without tie_word_embeddings, head_dim, num_key_value_heads, rms_norm_eps, rope_theta: LlamaConfig defaults
    const d = smallConfig({ ropeStyle: "half", nKvHeads: 4, normEps: 1e-6 });
    const cfg = hfConfigJson(d);
    for (const k of ["tie_word_embeddings", "head_dim", "num_key_value_heads", "rms_norm_eps", "rope_theta"]) delete cfg[k];
    const files = folder(d, hfTensors(d, rng));
    files.set("config.json", json(cfg));
    assert.deepEqual((await openModel(files)).config, { ...d, ropeScaling: undefined });
  });

  it("old checkpoints' rotary inv_freq buffers are skipped; chat_template.jinja wins over tokenizer_config", async () => {
    const c = smallConfig({ ropeStyle: "half" });
    const t = [...hfTensors(c, new Rng(1)), { name: "model.layers.0.self_attn.rotary_emb.inv_freq", dtype: "F32", shape: [8], data: new Uint8Array(32) }];
    const m = await openModel(folder(c, t, {}, { "chat_template.jinja": new Blob(["J"]), "tokenizer_config.json": json({ chat_template: [{ name: "tool_use", template: "X" }, { name: "default", template: "D" }] }) }));
    assert.equal(m.tensors.size, t.length - 1);
    assert.equal(m.chatTemplate, "J");
    const m2 = await openModel(folder(c, t, {}, { "tokenizer_config.json": json({ chat_template: [{ name: "tool_use", template: "X" }, { name: "default", template: "D" }] }) }));
    assert.equal(m2.chatTemplate, "D");
  });
});

describe("safetensors: malformed headers and unsupported models are one ModelFormatError", () => {
  const c = smallConfig({ ropeStyle: "half" });
  const good = hfTensors(c, new Rng(9));

  // a model.safetensors whose JSON header is `header` (data: `dataSize` random bytes)
  const raw = (header: unknown, dataSize: number): Blob => {
    const h = new TextEncoder().encode(JSON.stringify(header));
    const b = new Uint8Array(8 + h.length + dataSize);
    new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
    b.set(h, 8);
    return new Blob([b]);
  };
  const withRaw = (header: unknown, dataSize: number) => {
    const f = folder(c, good);
    f.set("model.safetensors", raw(header, dataSize));
    return openModel(f);
  };
  const t = (dtype: string, shape: number[], a: number, b: number) => ({ dtype, shape, data_offsets: [a, b] });

  it("dtypes other than F32/F16/BF16 name the dtype", async () => {
    const tensors = good.map((x) => x.name === "model.layers.0.mlp.up_proj.weight" ? { ...x, dtype: "I8", data: x.data.subarray(0, x.data.length / 4) } : x);
    await rejects(openModel(folder(c, tensors)), /tensor model\.layers\.0\.mlp\.up_proj\.weight dtype = "I8": not supported/);
    await rejects(withRaw({ a: t("F8_E9", [1], 0, 1) }, 1), /tensor a dtype = "F8_E9": unknown dtype/);
  });
  it("offsets out of range, overlapping, leaving holes or of the wrong size", async () => {
    await rejects(withRaw({ a: t("F32", [2], 0, 8), b: t("F32", [2], 8, 24) }, 16), /tensor b data_offsets = "\[8, 24\]": outside the 16-byte data section/);
    await rejects(withRaw({ a: t("F32", [2], 0, 8), b: t("F32", [2], 4, 12) }, 12), /tensor b data_offsets = "\[4, 12\]": overlaps the previous tensor, which ends at 8/);
    await rejects(withRaw({ a: t("F32", [2], 0, 8), b: t("F32", [2], 12, 20) }, 20), /tensor b data_offsets = "\[12, 20\]": leaves a hole \[8, 12\)/);
    await rejects(withRaw({ a: t("F32", [3], 0, 8) }, 8), /tensor a data_offsets = "\[0, 8\]": 8 bytes, but F32 \(3\) needs 12/);
    await rejects(withRaw({ a: t("F32", [2], 8, 0) }, 8), /outside the 8-byte data section/);
    await rejects(withRaw({ a: t("F32", [2], 0, 8) }, 12), /tensors cover 8 bytes but the data section has 12/);
    await rejects(withRaw({ a: t("F32", [-1], 0, 0) }, 0), /tensor a shape = "\[-1\]": expected up to 8 non-negative integers/);
    await rejects(withRaw({ a: { dtype: "F32", shape: [1] } }, 4), /tensor a data_offsets: expected \[begin, end\]/);
    await rejects(withRaw([1, 2], 0), /header: expected a JSON object/);
    await rejects(withRaw({ __metadata__: { x: 1 } }, 0), /__metadata__\.x = 1: expected a string/);
  });
  it("bad JSON, a header length past the end, a missing config.json", async () => {
    const f = folder(c, good);
    const b = new Uint8Array(20);
    new DataView(b.buffer).setBigUint64(0, 12n, true);
    b.set(new TextEncoder().encode("{\"a\": [1, 2"), 8);
    f.set("model.safetensors", new Blob([b]));
    await rejects(openModel(f), /header: not valid JSON/);
    new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
    f.set("model.safetensors", new Blob([b]));
    await rejects(openModel(f), /header length = 1099511627776: runs past the end of the 20-byte file/);
    const g = folder(c, good);
    g.delete("config.json");
    await rejects(openModel(g), /no config\.json .* it holds: model\.safetensors/);
  });
  it("config.json: unsupported architecture, bad values, unsupported features", async () => {
    const cfg = (extra: Record<string, unknown>) => openModel(folder(c, good, extra));
    await rejects(cfg({ architectures: ["GPT2LMHeadModel"] }), /architectures = "GPT2LMHeadModel": unsupported architecture/);
    await rejects(cfg({ hidden_size: "128" }), /config\.json: hidden_size = "128": expected a number/);
    await rejects(cfg({ rope_scaling: { rope_type: "yarn", factor: 4 } }), /rope_scaling\.rope_type = "yarn": unsupported rope scaling/);
    await rejects(cfg({ rope_scaling: { rope_type: "llama3", factor: 8 } }), /rope_scaling\.low_freq_factor: expected a positive number/);
    await rejects(cfg({ attention_bias: true }), /attention_bias = true: biases on the attention projections/);
    await rejects(cfg({ mlp_bias: true }), /mlp_bias = true/);
    await rejects(cfg({ hidden_act: "gelu" }), /hidden_act = "gelu": only silu/);
    await rejects(cfg({ vocab_size: 41 }), /tensor token_embd\.weight: shape \(40, 64\) does not match the config, which implies \(41, 64\)/);
    // tied with both stored: lm_head is ignored (transformers ties it to embed_tokens)
    const tied = await cfg({ tie_word_embeddings: true });
    assert.equal(tied.tensors.has("output.weight"), false);
    assert.deepEqual(await tied.tensors.get("token_embd.weight")!.read(), good.find((x) => x.name === "model.embed_tokens.weight")!.data);
  });
  it("a lone .safetensors without its folder says to open the folder", async () => {
    await rejects(openModel(writeSafetensors(good)), /config\.json: a safetensors model needs its config\.json/);
  });
  it("random bytes as tensor data are returned untouched", async () => {
    const data = randomBytes(new Rng(1), 24);
    const b = writeSafetensors([{ name: "x", dtype: "BF16", shape: [3, 4], data }], { format: "pt" });
    const h = await readSafetensorsHeader(memorySource(b, "x"));
    assert.deepEqual(h.metadata, { format: "pt" });
    assert.deepEqual(b.subarray(h.tensors[0].offset, h.tensors[0].offset + 24), data);
  });
});
