import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./helpers/rand.ts";
import { createRuntime } from "../src/wasm/runtime.ts";
import { KVStore } from "../src/kv/store.ts";

describe("KV store", () => {
  it("appends rows per KV head, keeps a subset in order, and reports measured bytes", async () => {
    const rt = await createRuntime({ build: "simd" });
    const rng = new Rng(3);
    const [L, H, D] = [2, 3, 5];
    const kv = new KVStore(rt, L, H, D, { capacity: 4, headroom: 2 });
    const all: Float32Array[] = [];
    for (let step = 0; step < 4; step++) {
      const m = rng.int(1, 3);
      const k = rt.fromArray(rng.array(m * H * D), [m, H * D]), v = rt.fromArray(rng.array(m * H * D), [m, H * D]);
      all.push(k.toFloat32Array());
      for (let l = 0; l < L; l++) kv.append(l, k, v, m, kv.seen);
      k.dispose(); v.dispose();
    }
    const n = kv.seen;
    assert.equal(kv.layers[0][0].n, n);
    assert.deepEqual([...kv.positions(1, 2)], [...Array(n).keys()]);
    // key row t of head h equals the appended k row t, columns h*D..h*D+D
    const flat = Float32Array.from(all.flatMap((a) => [...a]));
    for (let h = 0; h < H; h++) for (let t = 0; t < n; t++) {
      assert.deepEqual([...kv.layers[1][h].k.f32().subarray(t * D, t * D + D)], [...flat.subarray(t * H * D + h * D, t * H * D + h * D + D)]);
    }
    const before = kv.bytes(), heapBefore = rt.heap.stats.bytesInUse;
    const keep = Int32Array.from([0, 2, n - 1]);
    const released = kv.keep(1, keep);
    assert.equal(kv.layers[1][0].n, 3);
    assert.deepEqual([...kv.positions(1, 1)], [0, 2, n - 1]);
    assert.deepEqual([...kv.layers[1][2].k.f32().subarray(D, 2 * D)], [...flat.subarray(2 * H * D + 2 * D, 2 * H * D + 3 * D)]);
    assert.ok(released > 0);
    assert.equal(before - kv.bytes(), released);
    assert.equal(heapBefore - rt.heap.stats.bytesInUse, released, "the heap got the bytes back");
    // per-head keep
    kv.keep(0, Int32Array.from([1]), 2);
    assert.deepEqual(kv.layerStats().map((s) => s.kept), [(n + n + 1) / 3, 3]);
    assert.throws(() => kv.keep(0, [3, 1]), /ascending/);
    assert.throws(() => kv.keep(0, [0, n + 5]), /ascending and in/);
    kv.dispose();
    assert.equal(rt.heap.stats.bytesInUse, 0);
  });

  it("grows a full block on append without losing rows", async () => {
    const rt = await createRuntime({ build: "simd" });
    const kv = new KVStore(rt, 1, 1, 2, { capacity: 2 });
    for (let t = 0; t < 10; t++) {
      const k = rt.fromArray([t, -t], [1, 2]);
      kv.append(0, k, k, 1, t);
      k.dispose();
    }
    assert.equal(kv.layers[0][0].n, 10);
    assert.deepEqual([...kv.layers[0][0].k.f32().subarray(0, 20)], [...Array(10).keys()].flatMap((t) => [t, -t]));
    kv.dispose();
  });
});
