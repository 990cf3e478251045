import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { ggufMetadata, ggufModel, ggufTensors, randomBytes, smallConfig } from "./helpers/models.ts";
import type { DType } from "../src/wasm/dtype.ts";
import { bytesFor, DTYPE_BLOCK } from "../src/wasm/dtype.ts";
import { memorySource, openSource } from "../src/io/source.ts";
import { openModel } from "../src/format/model-file.ts";
import { openGGUFModel, readGGUFHeader } from "../src/format/gguf-model.ts";
import { type GGUFMetaEntry, type GGUFType, writeGGUF } from "../src/format/gguf-writer.ts";
import { ModelFormatError } from "../src/format/errors.ts";

const ALL_DTYPES: DType[] = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k", "q6_k"];

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("GGUF: the real models", () => {
  it("stories260K.gguf: header and config as PROVENANCE.md records them", { skip: needFiles("models/stories260K.gguf") }, async () => {
    const src = await openSource(sharedPath("models/stories260K.gguf"));
    const h = await readGGUFHeader(src);
    assert.equal(h.version, 3);
    assert.equal(h.tensors.length, 48);
    assert.equal(h.metadata.size, 19);
    assert.equal(h.dataOffset, 14176);
    assert.ok(h.tensors.every((t) => t.dtype === "f32"));
    assert.equal(h.dataOffset + h.tensors.reduce((s, t) => s + t.nbytes, 0), src.size);
    await src.close();
    const m = await openModel(sharedPath("models/stories260K.gguf"));
    assert.deepEqual(m.config, {
      arch: "llama", dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, headDim: 8, vocabSize: 512,
      contextLength: 2048, normEps: 1e-5, ropeTheta: 10000, ropeDim: 8, ropeStyle: "pairs",
      tiedEmbeddings: false, qkvBias: false, qkNorm: false,
    });
    assert.equal((m.metadata!.get("tokenizer.ggml.tokens") as string[]).length, 512);
    assert.equal(m.metadata!.get("tokenizer.ggml.bos_token_id"), 1);
    // output.weight is stored as a copy of token_embd.weight
    assert.deepEqual(await m.tensors.get("output.weight")!.read(), await m.tensors.get("token_embd.weight")!.read());
    await m.close();
  });

  it("tinystories-656k-q8_0.gguf: 15 Q8_0 and 5 F32 tensors, tied output, config from the metadata", { skip: needFiles("models/tinystories-656k-q8_0.gguf") }, async () => {
    const m = await openModel(sharedPath("models/tinystories-656k-q8_0.gguf"));
    const types = [...m.tensors.values()].map((t) => t.dtype);
    assert.equal(types.filter((t) => t === "q8_0").length, 15);
    assert.equal(types.filter((t) => t === "f32").length, 5);
    assert.equal(m.metadata!.size, 34);
    assert.equal(m.config.tiedEmbeddings, true);
    assert.equal(m.tensors.has("output.weight"), false);
    assert.equal(m.config.normEps, 1e-6);
    assert.equal(m.config.contextLength, 512);
    const e = m.tensors.get("token_embd.weight")!;
    assert.deepEqual(e.shape, [2048, 128]);
    assert.equal(e.nbytes, 2048 * (128 / 32) * 34);
    assert.equal((await e.read()).length, e.nbytes);
    await m.close();
  });

  it("llama-2-tiny-random.gguf: F16 matrices, F32 norms, the 32000-token vocabulary", { skip: needFiles("models/llama-2-tiny-random.gguf") }, async () => {
    const m = await openModel(sharedPath("models/llama-2-tiny-random.gguf"));
    const types = [...m.tensors.values()].map((t) => t.dtype);
    assert.equal(types.filter((t) => t === "f16").length, 9);
    assert.equal(types.filter((t) => t === "f32").length, 3);
    assert.equal(m.config.dim, 8);
    assert.equal(m.config.vocabSize, 32000);
    assert.equal(m.config.contextLength, 4096);
    const src = await openSource(sharedPath("models/llama-2-tiny-random.gguf"));
    assert.equal((await readGGUFHeader(src)).dataOffset, 724416);
    await src.close();
    await m.close();
  });

  it("vocab-only files: readGGUFHeader reads the tokenizer, openModel names what is wrong", { skip: needFiles("models/vocab/ggml-vocab-gpt-2.gguf", "models/vocab/ggml-vocab-llama-spm.gguf") }, async () => {
    const src = await openSource(sharedPath("models/vocab/ggml-vocab-gpt-2.gguf"));
    const h = await readGGUFHeader(src);
    assert.equal((h.metadata.get("tokenizer.ggml.tokens") as string[]).length, 50257);
    assert.equal((h.metadata.get("tokenizer.ggml.merges") as string[]).length, 50000);
    await src.close();
    await rejects(openModel(sharedPath("models/vocab/ggml-vocab-gpt-2.gguf")), /general\.architecture = "gpt2": unsupported architecture/);
    await rejects(openModel(sharedPath("models/vocab/ggml-vocab-llama-spm.gguf")), /no tensors: a vocab-only file/);
  });
});

// every metadata value type, scalar and array, with values at the edges of their ranges
const META: GGUFMetaEntry[] = [
  ["t.u8", "u8", 255], ["t.i8", "i8", -128], ["t.u16", "u16", 65535], ["t.i16", "i16", -32768],
  ["t.u32", "u32", 4294967295], ["t.i32", "i32", -2147483648], ["t.f32", "f32", 1.1], ["t.bool", "bool", true],
  ["t.false", "bool", false], ["t.string", "string", "héllo ▁ 世界 \u0000 end"], ["t.empty", "string", ""],
  ["t.u64", "u64", 2 ** 53 - 1], ["t.i64", "i64", -(2 ** 53 - 1)], ["t.f64", "f64", Math.PI],
  ["a.u8", { array: "u8" }, [0, 1, 255]], ["a.i8", { array: "i8" }, [-1, 2, 127]], ["a.u16", { array: "u16" }, [7, 65535]],
  ["a.i16", { array: "i16" }, [-7, 300]], ["a.u32", { array: "u32" }, [0, 4294967295]], ["a.i32", { array: "i32" }, [-5, 5]],
  ["a.f32", { array: "f32" }, [0.1, -2.5, 1e-6]], ["a.bool", { array: "bool" }, [true, false, true]],
  ["a.string", { array: "string" }, ["a", "", "▁b", "<0x0A>"]], ["a.u64", { array: "u64" }, [0, 2 ** 40]],
  ["a.i64", { array: "i64" }, [-(2 ** 40), 3]], ["a.f64", { array: "f64" }, [1e300, -0.5]],
  ["a.empty", { array: "string" }, []], ["a.nested", { array: { array: "i32" } }, [[1, 2], [], [3]]],
  ["a.nested_s", { array: { array: "string" } }, [["x"], ["y", "z"]]],
];

function expected(type: GGUFType, v: unknown): unknown {
  if (typeof type === "object") return (v as unknown[]).map((x) => expected(type.array, x));
  return type === "f32" ? Math.fround(v as number) : v;
}

function plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

describe("GGUF: writer/reader round trips", () => {
  for (const version of [2, 3] as const) {
    it(`every metadata type, scalar and array, reads back as written (version ${version})`, async () => {
      const bytes = writeGGUF({ metadata: META, tensors: [] }, { version });
      const h = await readGGUFHeader(memorySource(bytes, "meta.gguf"));
      assert.equal(h.version, version);
      assert.equal(h.metadata.size, META.length);
      for (const [k, type, v] of META) assert.deepEqual(plain(h.metadata.get(k)), expected(type, v), k);
      // f32/i32/u32 arrays come back as typed arrays (tokenizer scores are large)
      assert.ok(h.metadata.get("a.f32") instanceof Float32Array);
      assert.ok(h.metadata.get("a.i32") instanceof Int32Array);
    });
  }

  it("tensors of every type, random shapes and alignments: bytes out equal bytes in", async () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 30; trial++) {
      const alignment = [32, 64, 8, 1, 256][trial % 5];
      const tensors = ALL_DTYPES.map((dtype, i) => {
        const block = DTYPE_BLOCK[dtype][0];
        const nd = rng.int(1, 4);
        const shape = Array.from({ length: nd }, () => rng.int(1, 3));
        shape[nd - 1] = block * rng.int(1, block === 1 ? 37 : 3);
        return { name: `t${i}.${dtype}`, dtype, shape, data: randomBytes(rng, bytesFor(dtype, shape)) };
      });
      const bytes = writeGGUF({ metadata: [["general.architecture", "string", "llama"]], tensors }, { alignment });
      const src = memorySource(bytes, "t.gguf");
      const h = await readGGUFHeader(src);
      assert.equal(h.alignment, alignment);
      assert.equal(h.dataOffset % alignment, 0);
      for (const [i, t] of h.tensors.entries()) {
        assert.equal(t.name, tensors[i].name);
        assert.equal(t.dtype, tensors[i].dtype);
        assert.deepEqual(t.shape, tensors[i].shape);
        assert.deepEqual(await src.read(h.dataOffset + t.offset, t.nbytes), tensors[i].data, t.name);
      }
    }
  });

  for (const dtype of ALL_DTYPES) {
    it(`a llama model with ${dtype} matrices opens with the config it was written from and its exact bytes`, async () => {
      const k = DTYPE_BLOCK[dtype][0] === 256;
      const c = smallConfig(k ? { dim: 256, hiddenDim: 256, nHeads: 4, nKvHeads: 2, headDim: 64, ropeDim: 64, nLayers: 1 } : {});
      const rng = new Rng(DTYPE_BLOCK[dtype][1]);
      const { bytes, tensors } = ggufModel(c, rng, () => dtype);
      const m = await openModel(bytes);
      assert.equal(m.format, "gguf");
      assert.deepEqual(m.config, c);
      assert.equal(m.tensors.size, tensors.length);
      for (const t of tensors) {
        const e = m.tensors.get(t.name)!;
        assert.equal(e.dtype, t.dtype, t.name);
        assert.deepEqual(e.shape, t.shape, t.name);
        const got = await e.read();
        assert.equal(got.byteOffset % 8, 0);
        assert.deepEqual(got, t.data, t.name);
      }
      assert.equal(m.chatTemplate, "{% for m in messages %}{{ m.content }}{% endfor %}");
      await m.close();
    });
  }

  it("qwen2 (q/k/v biases) and qwen3 (q/k norms, head_dim != dim/heads) use rotate-half RoPE", async () => {
    const rng = new Rng(3);
    const q2 = smallConfig({ arch: "qwen2", ropeStyle: "half", qkvBias: true, tiedEmbeddings: true, ropeTheta: 1000000, normEps: 1e-6 });
    assert.deepEqual((await openModel(ggufModel(q2, rng).bytes)).config, q2);
    const q3 = smallConfig({ arch: "qwen3", ropeStyle: "half", qkNorm: true, headDim: 32, ropeDim: 32, nHeads: 4, nKvHeads: 1 });
    assert.deepEqual((await openModel(ggufModel(q3, rng).bytes)).config, q3);
    const mi = smallConfig({ arch: "mistral" });
    assert.deepEqual((await openModel(ggufModel(mi, rng).bytes)).config, mi);
  });

  it("defaults: no head_count_kv, key_length, rope keys or vocab_size; vocab from the token list", async () => {
    const c = smallConfig({ nKvHeads: 4 });
    const drop = ["llama.attention.head_count_kv", "llama.attention.key_length", "llama.attention.value_length", "llama.rope.dimension_count", "llama.rope.freq_base", "llama.vocab_size"];
    const metadata = ggufMetadata(c).filter(([k]) => !drop.includes(k));
    const m = await openModel(writeGGUF({ metadata, tensors: ggufTensors(c, new Rng(1)) }));
    assert.deepEqual(m.config, c);
  });

  it("rope_freqs.weight (Llama 3 scaling baked by llama.cpp) is exposed as a tensor", async () => {
    const c = smallConfig();
    const freqs = new Float32Array(c.ropeDim / 2).map((_, i) => 1 + i);
    const tensors = [...ggufTensors(c, new Rng(2)), { name: "rope_freqs.weight", dtype: "f32" as DType, shape: [c.ropeDim / 2], data: new Uint8Array(freqs.buffer) }];
    const m = await openModel(writeGGUF({ metadata: ggufMetadata(c), tensors }));
    const e = m.tensors.get("rope_freqs.weight")!;
    assert.deepEqual(new Float32Array((await e.read()).slice().buffer), freqs);
    assert.equal(m.config.ropeScaling, undefined);
  });
});

describe("GGUF: what budgetkv cannot run is one ModelFormatError naming it", () => {
  const c = smallConfig();
  const build = (meta = ggufMetadata(c), tensors = ggufTensors(c, new Rng(5))) => openGGUFModel(memorySource(writeGGUF({ metadata: meta, tensors }), "m.gguf"));
  const setMeta = (key: string, type: GGUFType, value: unknown) => ggufMetadata(c).map((e): GGUFMetaEntry => e[0] === key ? [key, type, value] : e);

  it("unsupported architecture", async () => {
    const meta = ggufMetadata(c).map((e): GGUFMetaEntry => e[0] === "general.architecture" ? [e[0], "string", "phi3"] : e);
    await rejects(build(meta), /general\.architecture = "phi3": unsupported architecture/);
  });
  it("unsupported tensor types (Q2_K, IQ4_XS) name the tensor and the type", async () => {
    for (const [id, name] of [[10, "Q2_K"], [23, "IQ4_XS"]] as const) {
      const bytes = writeGGUF({ metadata: ggufMetadata(c), tensors: ggufTensors(c, new Rng(5)) });
      // retype blk.0.attn_q.weight: find its info record and patch the type id
      const h = await readGGUFHeader(memorySource(bytes, "x"));
      assert.ok(h.tensors.some((t) => t.name === "blk.0.attn_q.weight"));
      const at = findTypeField(bytes, "blk.0.attn_q.weight");
      new DataView(bytes.buffer).setUint32(at, id, true);
      await rejects(openGGUFModel(memorySource(bytes, "m.gguf")), new RegExp(`tensor blk\\.0\\.attn_q\\.weight type = "${name}": tensor type not supported`));
    }
  });
  it("a tensor of the wrong shape names the tensor and both shapes", async () => {
    const t = ggufTensors(c, new Rng(5)).map((x) => x.name === "blk.1.attn_k.weight" ? { ...x, shape: [64, 32], data: x.data } : x);
    await rejects(build(undefined, t), /tensor blk\.1\.attn_k\.weight: shape \(64, 32\) does not match the config, which implies \(32, 64\)/);
  });
  it("a missing tensor, an unknown tensor, a layer past block_count", async () => {
    const t = ggufTensors(c, new Rng(5));
    await rejects(build(undefined, t.filter((x) => x.name !== "blk.1.ffn_up.weight")), /tensor blk\.1\.ffn_up\.weight: missing/);
    await rejects(build(undefined, [...t, { name: "blk.0.attn_rot_embd", dtype: "f32", shape: [4], data: new Uint8Array(16) }]), /tensor blk\.0\.attn_rot_embd: not part of/);
    await rejects(build(setMeta("llama.block_count", "u32", 1)), /tensor blk\.1\.\S+: not part of a llama model with 1 layers/);
  });
  it("missing or mistyped metadata, per-layer arrays, rope scaling, value_length != key_length", async () => {
    await rejects(build(ggufMetadata(c).filter(([k]) => k !== "llama.block_count")), /llama\.block_count: required metadata key is missing/);
    await rejects(build(setMeta("llama.embedding_length", "string", "64")), /llama\.embedding_length = "64": expected a single finite number/);
    await rejects(build(setMeta("llama.feed_forward_length", { array: "u32" }, [96, 96])), /llama\.feed_forward_length = "\[array\]": expected a single finite number \(per-layer arrays are not supported\)/);
    await rejects(build(setMeta("llama.attention.head_count", "u32", 0)), /head_count = 0: expected a positive integer/);
    await rejects(build([...ggufMetadata(c), ["llama.rope.scaling.type", "string", "yarn"], ["llama.rope.scaling.factor", "f32", 4]]), /rope\.scaling\.type = "yarn": rope scaling with llama\.rope\.scaling\.factor = 4 is not supported/);
    await rejects(build([...ggufMetadata(c), ["llama.rope.scale_linear", "f32", 2]]), /rope\.scaling\.type = "linear": rope scaling with llama\.rope\.scale_linear = 2/);
    const unscaled = await build([...ggufMetadata(c), ["llama.rope.scaling.type", "string", "linear"], ["llama.rope.scaling.factor", "f32", 1]]);
    assert.deepEqual(unscaled.config, c);
    await rejects(build(setMeta("llama.attention.value_length", "u32", 8)), /value_length = 8: differs from key_length 16/);
    await rejects(build(setMeta("llama.attention.head_count_kv", "u32", 3)), /head_count 4 is not a multiple of head_count_kv 3/);
  });
});

// byte offset of the u32 type field of tensor `name` in a written GGUF (after its name, n_dims, ne)
function findTypeField(bytes: Uint8Array, name: string): number {
  const needle = new TextEncoder().encode(name);
  for (let i = 8; i + needle.length < bytes.length; i++) {
    let ok = new DataView(bytes.buffer, bytes.byteOffset).getUint32(i - 8, true) === needle.length;
    for (let j = 0; ok && j < needle.length; j++) ok = bytes[i + j] === needle[j];
    if (!ok) continue;
    const p = i + needle.length;
    const nd = new DataView(bytes.buffer, bytes.byteOffset).getUint32(p, true);
    return p + 4 + 8 * nd;
  }
  throw new Error(`tensor ${name} not found`);
}
