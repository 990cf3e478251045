// Kernel benchmarks: each kernel's answer is checked against its reference first, then timed
// with tinybench beside a peer measured in the same run. `--json` prints one JSON object.
import { Bench } from "tinybench";
import { createRuntime } from "../src/wasm/runtime.ts";
import { add } from "../src/wasm/ops/elementwise.ts";
import * as ref from "../src/ref/elementwise.ts";
import { medianMs } from "./stats.ts";

const json = process.argv.includes("--json");
const rt = await createRuntime({ build: "auto" });
const n = 1 << 16;
const a = new Float32Array(n).map(() => Math.random());
const b = new Float32Array(n).map(() => Math.random());
const ta = rt.fromArray(a), tb = rt.fromArray(b), ty = rt.zeros([n]);
const want = new Float32Array(n);
ref.add_f32(a, b, want, 0, n);
add(ty, ta, tb);
if (ty.f32().some((v, i) => v !== want[i])) throw new Error("add_f32: answer differs from the reference");

const bench = new Bench({ time: 300 });
bench.add(`add_f32 n=${n} (budgetkv ${rt.build})`, () => add(ty, ta, tb));
bench.add(`add_f32 n=${n} (plain JS loop, peer)`, () => ref.add_f32(a, b, want, 0, n));
await bench.run();
const rows = bench.tasks.map((t) => ({
  name: t.name,
  median_ms: medianMs(t),
  melem_s: n / (medianMs(t) * 1e3),
}));
if (json) console.log(JSON.stringify({ build: rt.build, rows }, null, 2));
else console.table(rows);
