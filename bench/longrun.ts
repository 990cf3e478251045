// Long runs (issue 13): N load -> generate -> dispose cycles in one process, with the process's
// RSS, JS heap, external/ArrayBuffer memory and the cycle's WebAssembly memory sampled after a
// full GC at the start (after a warm-up), the middle and the end.
//   node scripts/run-ts.mjs bench/longrun.ts [--cycles N] [--tokens T] [--model PATH] [--shared-runtime]
//        [--warmup W] [--sessions | --completions] [--readings R] [--snapshots DIR] [--v8-flags "..."]
// --sessions: one load, then N chat sessions, each created with llm.session(), given one short
// turn (chat(), T tokens) and disposed.
// --completions: one load, then N complete() calls, each creating and disposing its KV cache and
// controller.
// --readings R: each sample is R readings, each after two full GCs; the table shows the smallest
// (what survives every GC) and the log line all of them.
// --snapshots DIR: a V8 heap snapshot at the warm-up, middle and end marks (compare them in
// Chrome DevTools' Memory tab, or with bench/heapdiff.ts).
// Default: 1,000 cycles of stories260K.bin (tok512.bin beside it), 16 greedy tokens each, a new
// runtime per load as a user's code would make. --shared-runtime loads every model into one
// runtime, so its WebAssembly memory is one number to watch.
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from "node:v8";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { LLM } from "../src/llm.ts";
import { createRuntime, type Runtime } from "../src/wasm/runtime.ts";
import { sharedPath } from "../tests/helpers/shared.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const args = process.argv.slice(2);
const opt = (k: string, d: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const cycles = Number(opt("--cycles", "1000")), tokens = Number(opt("--tokens", "16")), warmup = Number(opt("--warmup", "20"));
const model = opt("--model", sharedPath("models", "stories260K.bin"));
const shared = args.includes("--shared-runtime");
const sessions = args.includes("--sessions"), completions = args.includes("--completions");
const readings = Math.max(1, Number(opt("--readings", "1")));
// --v8-flags "...": V8 flags set before the first cycle, e.g. "--no-opt --no-maglev --no-sparkplug"
// keeps JavaScript in the interpreter, so the JS heap's code space does not grow as functions
// tier up (what separates V8's compiled code from the library's own objects)
const v8flags = opt("--v8-flags", "");
if (v8flags) setFlagsFromString(v8flags);
const snapshots = opt("--snapshots", "");
if (snapshots) mkdirSync(snapshots, { recursive: true });

interface Sample { cycle: number; rssMB: number; heapUsedMB: number; codeSpaceMB: number; heapLessCodeMB: number; externalMB: number; arrayBuffersMB: number; wasmMB: number; wasmInUseKB: number; ms: number }
// bytes V8 holds for compiled JavaScript (its code spaces): grows as functions tier up, not with
// the library's own objects
const codeSpaceBytes = () => getHeapSpaceStatistics().filter((s) => s.space_name.startsWith("code")).reduce((n, s) => n + s.space_used_size, 0);
const mb = (n: number) => Math.round((n / 2 ** 20) * 100) / 100;

let rt: Runtime | undefined = shared ? await createRuntime() : undefined;
let lastWasm = 0, lastInUse = 0;
const t0 = performance.now();
const samples: Sample[] = [];
const sample = async (cycle: number) => {
  // R readings, each after two full GCs with the event loop run in between (finalizers, timers)
  const all: (NodeJS.MemoryUsage & { code: number })[] = [];
  for (let r = 0; r < readings; r++) {
    await new Promise((res) => setTimeout(res, 10));
    gc(); gc();
    all.push({ ...process.memoryUsage(), code: codeSpaceBytes() });
  }
  const least = (k: keyof (typeof all)[number]) => Math.min(...all.map((m) => m[k]));
  const lessCode = Math.min(...all.map((m) => m.heapUsed - m.code));
  const s = { cycle, rssMB: mb(least("rss")), heapUsedMB: mb(least("heapUsed")), codeSpaceMB: mb(least("code")), heapLessCodeMB: mb(lessCode), externalMB: mb(least("external")), arrayBuffersMB: mb(least("arrayBuffers")), wasmMB: mb(lastWasm), wasmInUseKB: Math.round(lastInUse / 1024), ms: Math.round(performance.now() - t0) };
  samples.push(s);
  console.log(JSON.stringify(readings > 1 ? { ...s, heapUsedMBAll: all.map((m) => mb(m.heapUsed)) } : s));
  if (snapshots && marks.has(cycle)) console.log(`snapshot ${writeHeapSnapshot(join(snapshots, `cycle-${cycle}.heapsnapshot`))}`);
};
const every = Math.max(1, Math.floor(cycles / 10));
const marks = new Set([warmup, Math.floor((warmup + cycles) / 2), cycles]);
const kept = sessions || completions ? await LLM.load(model, { runtime: rt }) : undefined;
for (let c = 1; c <= cycles; c++) {
  const llm = kept ?? await LLM.load(model, { runtime: rt });
  let r;
  if (sessions) {
    const s = llm.session({ system: "A story." });
    r = await s.chat("Once upon a time", { maxTokens: tokens, temperature: 0, seed: c });
    s.dispose();
  } else {
    r = await llm.complete("Once upon a time", { maxTokens: tokens, temperature: 0, seed: c });
  }
  if (r.tokens.length === 0) throw new Error("no tokens generated");
  lastWasm = llm.rt.memory.buffer.byteLength;
  if (!kept) llm.dispose();
  lastInUse = llm.rt.heap.stats.bytesInUse;
  if (marks.has(c) || c % every === 0) await sample(c);
}
kept?.dispose();
const at = (c: number) => samples.find((s) => s.cycle === c)!;
const [a, b, z] = [...marks].sort((x, y) => x - y).map(at);
const pct = (x: number, y: number) => (y === x ? "0.00" : ((100 * (y - x)) / x).toFixed(2));
const what = sessions ? `chat sessions (llm.session(), one turn of ${tokens} tokens, dispose()) on one loaded`
  : completions ? `generations (${tokens} tokens, a KV cache created and disposed each) on one loaded` : `load/generate(${tokens})/dispose cycles of`;
console.log(`\n${cycles} ${what} ${model}${shared ? " in one shared runtime" : kept ? "" : ", a new runtime per load"}, ${((performance.now() - t0) / 1000).toFixed(0)} s, ${readings} reading(s) per sample${v8flags ? `, V8 flags ${v8flags}` : ""}`);
console.log(`                 cycle ${a.cycle}   cycle ${b.cycle}   cycle ${z.cycle}   growth after warm-up`);
for (const k of ["rssMB", "heapUsedMB", "codeSpaceMB", "heapLessCodeMB", "externalMB", "arrayBuffersMB", "wasmMB", "wasmInUseKB"] as const) {
  console.log(`${k.padEnd(16)} ${String(a[k]).padStart(9)} ${String(b[k]).padStart(10)} ${String(z[k]).padStart(10)}   ${pct(a[k], z[k])} %`);
}
