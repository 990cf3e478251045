import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { createRuntime } from "../src/wasm/runtime.ts";
import { Heap, OutOfMemoryError } from "../src/wasm/heap.ts";
import { unshareMemoryImports, decodeBase64 } from "../src/wasm/binary.ts";
import { KERNELS_SIMD_BASE64 } from "../src/wasm/generated/kernels-wasm.ts";

describe("heap", () => {
  it("stays flat over 10,000 allocate/free cycles", async () => {
    const rt = await createRuntime({ build: "simd" });
    const rng = new Rng(7);
    const before = rt.heap.stats;
    const held: ReturnType<typeof rt.tensor>[] = [];
    let memoryAfterWarmup = 0;
    for (let i = 0; i < 10_000; i++) {
      held.push(rt.tensor("f32", [rng.int(1, 5000)]));
      if (held.length > 16) held.splice(rng.int(0, held.length - 1), 1)[0].dispose();
      if (i === 1000) memoryAfterWarmup = rt.heap.stats.memoryBytes;
    }
    for (const t of held) t.dispose();
    const after = rt.heap.stats;
    assert.equal(after.bytesInUse, before.bytesInUse);
    assert.equal(after.blocks, before.blocks);
    assert.equal(after.memoryBytes, memoryAfterWarmup, "memory grew after warm-up");
    // everything freed merges back into one free block
    assert.equal(after.bytesFree, after.memoryBytes - Math.ceil(rt.heap.base / 64) * 64);
  });

  it("hands out 64-byte aligned, non-overlapping blocks and reuses freed ones", () => {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 100 });
    const h = new Heap(mem, 100);
    const a = h.alloc(10), b = h.alloc(100), c = h.alloc(64);
    for (const p of [a, b, c]) assert.equal(p % 64, 0);
    assert.ok(a + 64 <= b && b + 128 <= c);
    h.free(b);
    assert.equal(h.alloc(128), b);
    assert.throws(() => h.free(b + 1), /not a live block/);
  });

  it("grows the memory when no block fits and refreshes its views", () => {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 100 });
    const h = new Heap(mem, 0);
    const g = h.generation;
    const p = h.alloc(200_000);
    assert.ok(mem.buffer.byteLength >= p + 200_000);
    assert.ok(h.generation > g);
    assert.equal(h.u8.length, mem.buffer.byteLength);
  });

  it("throws OutOfMemoryError past its limit, naming the sizes", () => {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 100 });
    const h = new Heap(mem, 0, 1000);
    h.alloc(900);
    assert.throws(() => h.alloc(200), (e: unknown) => e instanceof OutOfMemoryError && /limit of 1000 bytes/.test((e as Error).message));
  });

  it("rejects invalid sizes", () => {
    const h = new Heap(new WebAssembly.Memory({ initial: 1 }), 0);
    assert.throws(() => h.alloc(-1), /invalid allocation size/);
    assert.throws(() => h.alloc(NaN), /invalid allocation size/);
  });
});

describe("runtime", () => {
  it("runs with unshared memory (the module's shared import patched to plain)", async () => {
    const bytes = decodeBase64(KERNELS_SIMD_BASE64);
    const plain = unshareMemoryImports(bytes);
    assert.equal(plain.length, bytes.length);
    assert.ok(WebAssembly.validate(plain as BufferSource));
    const rt = await createRuntime({ build: "simd", shared: false });
    assert.equal(rt.shared, false);
    assert.ok(!(rt.memory.buffer instanceof SharedArrayBuffer));
    const rt2 = await createRuntime({ build: "simd", shared: true });
    assert.ok(rt2.memory.buffer instanceof SharedArrayBuffer);
  });

  it("rejects an unknown build by name", async () => {
    await assert.rejects(createRuntime({ build: "avx" as never }), /unknown build "avx"/);
  });
});
