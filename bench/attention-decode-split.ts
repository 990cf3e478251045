// Decode attention of one layer on one thread (attnDecodeHeads) against split by query heads over
// a 2-thread pool (splitAttnDecode, forced: minWork 0), per shape, KV type and cache length: where
// the split starts to pay, which sets ATTN_DECODE_SPLIT_MIN_WORK (src/wasm/ops/parallel.ts).
// Each case checks the two answers are the same bits, then times blocks of calls A B A B ...
// and reports microseconds per layer call and the median of the per-block ratios one / split.
//   node scripts/run-ts.mjs bench/attention-decode-split.ts [--blocks 9] [--json]
import { createRuntime } from "../src/wasm/runtime.ts";
import { ThreadPool } from "../src/wasm/threads.ts";
import { attnDecodeHeads, type AttnDecodeHeadsOptions, type KVBlock } from "../src/wasm/ops/attention.ts";
import { ATTN_DECODE_SPLIT_MIN_WORK, POOL_KERNELS, splitAttnDecode } from "../src/wasm/ops/parallel.ts";
import type { KVType } from "../src/kv/kv-type.ts";
import { median } from "../src/util/stats.ts";
import { Rng } from "../tests/helpers/rand.ts";
import { randomKVRows } from "../tests/helpers/kv-rows.ts";

const args = process.argv.slice(2);
const json = args.includes("--json");
const nBlocks = Number(args[args.indexOf("--blocks") + 1] || 9) || 9;
const rt = await createRuntime({ build: "auto", shared: true });
const pool = await ThreadPool.create(rt, 2, POOL_KERNELS);
if (!pool) throw new Error("this runtime cannot start a worker thread");
const rng = new Rng(3);

// [name, KV heads, group, head_dim]
const SHAPES: [string, number, number, number][] = [
  ["SmolLM2-135M", 3, 3, 64],
  ["TinyStories-656K", 4, 2, 16],
  ["stories260K", 4, 2, 8],
];
const ROWS = [16, 32, 64, 128, 256, 512, 1024];

interface Result { shape: string; type: KVType; rows: number; work: number; one_us: number; split_us: number; speedup: number; split_by_default: boolean }
const results: Result[] = [];

for (const [name, nKvHeads, nGroup, headDim] of SHAPES) {
  for (const type of ["f32", "q8_0"] as KVType[]) {
    for (const n of ROWS) {
      const nHeads = nKvHeads * nGroup, scale = 1 / Math.sqrt(headDim);
      const q = rt.tensor("f32", [nHeads, headDim]).write(rng.array(nHeads * headDim));
      const rows = () => randomKVRows(rt, rng, type, n, headDim);
      const blocks: KVBlock[] = Array.from({ length: nKvHeads }, () => ({ k: rows(), v: rows(), n }));
      const outA = rt.tensor("f32", [nHeads, headDim]), outB = rt.tensor("f32", [nHeads, headDim]);
      const o: AttnDecodeHeadsOptions = { headDim, nGroup, scale, scores: rt.tensor("f32", [nKvHeads, nGroup, n]), scoreStride: n, table: rt.tensor("i32", [nKvHeads, 3]), type };
      const cuts = new Int32Array(3);
      const one = () => attnDecodeHeads(outA, q, blocks, o), split = () => splitAttnDecode(pool, outB, q, blocks, o, cuts, 0);
      // the answer first
      one(); split();
      const a = outA.f32(), b = outB.f32();
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`${name} ${type} n ${n}: split differs at ${i}: ${b[i]} vs ${a[i]}`);
      // calls per block: about 3 ms of work
      const t0 = performance.now();
      let calls = 0;
      while (performance.now() - t0 < 3) { one(); calls++; }
      const time = (f: () => void) => { const s = performance.now(); for (let i = 0; i < calls; i++) f(); return ((performance.now() - s) * 1000) / calls; };
      const tA: number[] = [], tB: number[] = [], ratio: number[] = [];
      for (let r = 0; r < nBlocks; r++) {
        const x = time(one), y = time(split);
        tA.push(x); tB.push(y); ratio.push(x / y);
      }
      const work = nKvHeads * n * nGroup * headDim;
      const res = { shape: name, type, rows: n, work, one_us: median(tA), split_us: median(tB), speedup: median(ratio), split_by_default: work >= ATTN_DECODE_SPLIT_MIN_WORK };
      results.push(res);
      if (!json) console.log(`${name.padEnd(17)} ${type.padEnd(4)} n ${String(n).padStart(4)} work ${String(work).padStart(7)}: one ${res.one_us.toFixed(1).padStart(6)} us, split ${res.split_us.toFixed(1).padStart(6)} us, one/split ${res.speedup.toFixed(2)}${res.split_by_default ? "  (splits by default)" : ""}`);
      for (const t of [q, outA, outB, o.scores, o.table, ...blocks.flatMap((bl) => [bl.k, bl.v])]) t.dispose();
    }
  }
}
pool.dispose();
if (json) console.log(JSON.stringify({ threads: 2, min_work: ATTN_DECODE_SPLIT_MIN_WORK, results }, null, 2));
