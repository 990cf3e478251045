import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "./helpers/rand.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { ggufModel, hfConfigJson, hfTensors, smallConfig } from "./helpers/models.ts";
import { openModel } from "../src/format/model-file.ts";
import { writeSafetensors } from "../src/format/safetensors-writer.ts";
import { ModelFormatError } from "../src/format/errors.ts";
import { SourceError, memorySource, openFolder, openSource } from "../src/io/source.ts";

async function rejects(p: Promise<unknown>, type: Function, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

async function withTempDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "budgetkv-"));
  try { await f(dir); } finally { await rm(dir, { recursive: true, force: true }); }
}

describe("openModel: the same model through different formats", () => {
  it("tinystories-656k folder and its Q8_0 GGUF give the same config (except the RoPE layout)", { skip: needFiles("models/tinystories-656k/config.json", "models/tinystories-656k-q8_0.gguf") }, async () => {
    const hf = await openModel(sharedPath("models/tinystories-656k"));
    const gg = await openModel(sharedPath("models/tinystories-656k-q8_0.gguf"));
    // llama.cpp's converter permutes q/k rows from rotate-half to interleaved pairs
    assert.equal(hf.config.ropeStyle, "half");
    assert.equal(gg.config.ropeStyle, "pairs");
    assert.deepEqual({ ...hf.config, ropeStyle: "pairs", ropeScaling: undefined }, { ...gg.config, ropeScaling: undefined });
    assert.deepEqual([...hf.tensors.keys()].sort(), [...gg.tensors.keys()].sort());
    for (const [name, e] of hf.tensors) assert.deepEqual(e.shape, gg.tensors.get(name)!.shape, name);
    await hf.close();
    await gg.close();
  });
});

describe("openModel: sources and sniffing", () => {
  const c = smallConfig();
  const gguf = ggufModel(c, new Rng(1)).bytes;

  it("bytes, an ArrayBuffer, a misaligned Uint8Array, a Blob, a ByteSource and a path give the same model", async () => {
    const odd = new Uint8Array(gguf.length + 3);
    odd.set(gguf, 3);
    const inputs = [gguf, gguf.slice().buffer, odd.subarray(3), new Blob([gguf]), memorySource(gguf, "mem")];
    await withTempDir(async (dir) => {
      await writeFile(join(dir, "m.gguf"), gguf);
      // a folder holding one .gguf opens that file
      for (const src of [...inputs, join(dir, "m.gguf"), new URL(`file://${join(dir, "m.gguf")}`), dir]) {
        const m = await openModel(src);
        assert.deepEqual(m.config, c);
        const e = m.tensors.get("blk.1.attn_q.weight")!;
        const got = await e.read();
        assert.equal(got.byteOffset % 8, 0);
        const want = ggufModel(c, new Rng(1)).tensors.find((t) => t.name === e.name)!.data;
        assert.deepEqual(got, want);
        await m.close();
      }
    });
  });

  it("a folder on disk, a Map of Blobs and a FileList-like array of Files give the same HF model", async () => {
    const h = smallConfig({ ropeStyle: "half" });
    const files: Record<string, Uint8Array<ArrayBuffer>> = {
      "config.json": new TextEncoder().encode(JSON.stringify(hfConfigJson(h))),
      "model.safetensors": writeSafetensors(hfTensors(h, new Rng(2))),
      "tokenizer_config.json": new TextEncoder().encode(JSON.stringify({ add_bos_token: false })),
    };
    await withTempDir(async (dir) => {
      await mkdir(join(dir, "m"));
      for (const [n, b] of Object.entries(files)) await writeFile(join(dir, "m", n), b);
      const fileList = Object.entries(files).map(([n, b]) => Object.assign(new File([b], n), { webkitRelativePath: `m/${n}` }));
      const map = new Map(Object.entries(files).map(([n, b]) => [n, new Blob([b])]));
      for (const src of [join(dir, "m"), map, fileList, await openFolder(join(dir, "m")), join(dir, "m", "model.safetensors")]) {
        const m = await openModel(src);
        assert.equal(m.format, "safetensors");
        assert.deepEqual(m.config, { ...h, ropeScaling: undefined });
        assert.equal(m.hf!.tokenizerConfig!.add_bos_token, false);
        await m.close();
      }
      assert.equal((await openFolder(fileList)).name, "m");
    });
  });

  it("a missing path is one SourceError naming it; a directory is not a file", async () => {
    await rejects(openModel("/nonexistent/dir/model.gguf"), SourceError, /^\/nonexistent\/dir\/model\.gguf: no such file or directory$/);
    await assert.rejects(openSource("/nonexistent/x"), (e: unknown) => e instanceof SourceError && e.missing);
    await withTempDir(async (dir) => {
      await rejects(openSource(dir), SourceError, /is a directory/);
      await rejects(openModel(dir), ModelFormatError, /folder: no config\.json .* and no \.gguf\/\.bin files/);
    });
  });

  it("unrecognized bytes: the error lists every format tried", async () => {
    await rejects(openModel(new TextEncoder().encode("hello world, not a model at all")), ModelFormatError,
      /\(bytes\): format: not a model file budgetkv can read; tried GGUF \(no "GGUF" magic\); safetensors \(header length \S+ does not fit the 31-byte file\); llama2\.c \(implausible header: .*\)/);
    await rejects(openModel(new Uint8Array(0)), ModelFormatError, /tried GGUF \(file shorter than 4 bytes\); safetensors \(file shorter than 9 bytes\); llama2\.c \(file shorter than its 28-byte header\)/);
  });

  it("a ByteSource refuses reads outside the file", async () => {
    const s = memorySource(new Uint8Array(10), "ten");
    await rejects(s.read(8, 4), SourceError, /ten: read of 4 bytes at offset 8 is outside the 10-byte file/);
    await rejects(s.read(-1, 1), SourceError, /outside/);
  });
});

describe("openModel: progress", () => {
  it("onProgress counts tensor bytes as they are read, up to the total, chunked for big tensors", async () => {
    const c = smallConfig({ vocabSize: 40000, dim: 64 }); // token_embd: 10 MB, read in pieces
    const { bytes } = ggufModel(c, new Rng(3));
    const calls: [number, number, string][] = [];
    const m = await openModel(bytes, { onProgress: (l, t, s) => calls.push([l, t, s]) });
    assert.equal(calls.length, 0);
    const total = [...m.tensors.values()].reduce((s, e) => s + e.nbytes, 0);
    for (const e of m.tensors.values()) await e.read();
    assert.ok(calls.length > m.tensors.size, "the 10 MB tensor reports more than once");
    assert.ok(calls.every(([, t, s]) => t === total && s === "tensors"));
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] > calls[i - 1][0]);
    assert.equal(calls.at(-1)![0], total);
  });

  it("http(s): a file URL downloads with progress, a folder URL opens its files, 404 is a SourceError", async () => {
    const c = smallConfig({ ropeStyle: "half" });
    const files = new Map<string, Uint8Array>([
      ["/m/model.gguf", ggufModel(smallConfig(), new Rng(4)).bytes],
      ["/hf/config.json", new TextEncoder().encode(JSON.stringify(hfConfigJson(c)))],
      ["/hf/model.safetensors", writeSafetensors(hfTensors(c, new Rng(5)))],
    ]);
    const server = createServer((req, res) => {
      const b = files.get(req.url ?? "");
      if (!b) { res.writeHead(404).end(); return; }
      res.writeHead(200, { "content-length": b.length });
      // in several writes so the body streams in chunks
      for (let p = 0; p < b.length; p += 4096) res.write(b.subarray(p, p + 4096));
      res.end();
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const dl: [number, number][] = [];
      const m = await openModel(`${base}/m/model.gguf`, { onProgress: (l, t, s) => { if (s === "download") dl.push([l, t]); } });
      assert.deepEqual(m.config, smallConfig());
      assert.deepEqual(dl.at(-1), [files.get("/m/model.gguf")!.length, files.get("/m/model.gguf")!.length]);
      const hf = await openModel(`${base}/hf/`);
      assert.deepEqual(hf.config, { ...c, ropeScaling: undefined });
      // a lone .safetensors URL finds config.json beside it
      assert.deepEqual((await openModel(`${base}/hf/model.safetensors`)).config, hf.config);
      await rejects(openModel(`${base}/m/missing.gguf`), SourceError, /missing\.gguf: not found \(HTTP 404\)/);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});
