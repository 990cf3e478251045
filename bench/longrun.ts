// Long runs (issue 13): cycles in one process, with the process's RSS (anonymous and file-backed),
// JS heap, V8 code space, external/ArrayBuffer memory and WebAssembly memory sampled after full GCs
// at the end of the warm-up (start), half way (middle) and at the end.
//   node scripts/run-ts.mjs bench/longrun.ts [--target] [--cycles N] [--warmup W] [--tokens T]
//        [--model PATH] [--shared-runtime] [--sessions | --completions] [--readings R]
//        [--snapshots DIR] [--v8-flags "..."] [--every K]
// --target warms up 3,000 cycles unless told (the load path's functions reach V8's optimizing
// tier one by one over the first ~2,000 loads; bench/results/longrun.md has the curve).
// Each run is W warm-up cycles, then N counted cycles; growth is measured from the end of the
// warm-up to the end, so a run of --warmup 200 --cycles 1000 does 1,200 cycles.
//   (default)      load -> generate(T) -> dispose: a new model (and runtime) per cycle
//   --sessions     one load, then chat sessions: llm.session(), one turn (chat(), T tokens), dispose()
//   --completions  one load, then complete() calls, each creating and disposing its KV cache
//   --target       the issue's target, "heaps flat over 1,000 cycles (growth under 1 % after
//                  warm-up)": the load cycles, then the session cycles, each W + N, with a verdict
//                  per quantity (JS heap used after GC, WebAssembly memory, RSS)
// --readings R: each sample is R readings, each after two full GCs; the table shows the smallest
// (what survives every GC) and the log line all of them.
// --every K: a sample every K counted cycles (default: a tenth of them). Besides the growth from
// start to end, the verdict gives the trend: the least-squares line through every sample after the
// warm-up, as growth over the counted cycles (less sensitive to one noisy sample).
// --snapshots DIR: a V8 heap snapshot at the three marks (compare them in Chrome DevTools' Memory
// tab, or with bench/heapdiff.ts).
// --v8-flags "...": V8 flags set before the first cycle, e.g. "--no-opt --no-maglev --no-sparkplug"
// keeps JavaScript in the interpreter, so the code space does not grow as functions tier up.
// --model: a llama2.c .bin (its tokenizer found beside it), a .gguf, or a Hugging Face folder
// (config.json, model.safetensors, tokenizer.json); the issue's three kinds are
// stories260K.bin, stories260K.gguf and tinystories-656k in ../shared/models.
// Default model: stories260K.bin (tok512.bin beside it), 16 greedy tokens a cycle, a new runtime
// per load as a user's code would make (--shared-runtime: one runtime for every load).
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString, writeHeapSnapshot } from "node:v8";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { LLM } from "../src/llm.ts";
import { createRuntime, type Runtime } from "../src/wasm/runtime.ts";
import { sharedPath } from "../tests/helpers/shared.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const args = process.argv.slice(2);
const opt = (k: string, d: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const cycles = Number(opt("--cycles", "1000")), tokens = Number(opt("--tokens", "16")), warmup = Number(opt("--warmup", args.includes("--target") ? "3000" : "100"));
const model = opt("--model", sharedPath("models", "stories260K.bin"));
const sharedRt = args.includes("--shared-runtime");
const readings = Math.max(1, Number(opt("--readings", "1")));
const v8flags = opt("--v8-flags", "");
if (v8flags) setFlagsFromString(v8flags);
const snapshots = opt("--snapshots", "");
if (snapshots) mkdirSync(snapshots, { recursive: true });
if (!(cycles >= 2 && warmup >= 0 && tokens >= 1)) { console.error("longrun: --cycles >= 2, --warmup >= 0, --tokens >= 1"); process.exit(2); }
if (!existsSync(model)) { console.error(`longrun: no model at ${model} (set BUDGETKV_SHARED or --model)`); process.exit(1); }

type Kind = "load" | "sessions" | "completions";
const kinds: Kind[] = args.includes("--target") ? ["load", "sessions"] : [args.includes("--sessions") ? "sessions" : args.includes("--completions") ? "completions" : "load"];

interface Sample {
  cycle: number; rssMB: number; rssAnonMB: number; rssFileMB: number; heapUsedMB: number; heapTotalMB: number; newSpaceMB: number; anonLessHeapMB: number;
  codeSpaceMB: number; heapLessCodeMB: number;
  externalMB: number; arrayBuffersMB: number; wasmMB: number; wasmInUseKB: number; ms: number;
}
const KEYS = ["rssMB", "rssAnonMB", "rssFileMB", "heapUsedMB", "heapTotalMB", "newSpaceMB", "anonLessHeapMB", "codeSpaceMB", "heapLessCodeMB", "externalMB", "arrayBuffersMB", "wasmMB", "wasmInUseKB"] as const;
// bytes V8 holds for compiled JavaScript (its code spaces): grows as functions tier up, not with
// the library's own objects
const codeSpaceBytes = () => getHeapSpaceStatistics().filter((s) => s.space_name.startsWith("code")).reduce((n, s) => n + s.space_used_size, 0);
// the young generation's reserved size: V8 grows its semi-spaces (up to --max-semi-space-size)
// while a program allocates many short-lived objects, and keeps them
const newSpaceBytes = () => getHeapSpaceStatistics().filter((s) => s.space_name === "new_space").reduce((n, s) => n + s.space_size, 0);
// RSS split as Linux reports it: anonymous (malloc arenas, V8 heaps, WebAssembly memory) and
// file-backed (pages of node's binary and shared libraries touched so far); NaN elsewhere
function rssSplit(): { anon: number; file: number } {
  try {
    const s = readFileSync("/proc/self/status", "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN) * 1024;
    return { anon: kb("RssAnon"), file: kb("RssFile") + kb("RssShmem") };
  } catch { return { anon: NaN, file: NaN }; }
}
const mb = (n: number) => Math.round((n / 2 ** 20) * 100) / 100;

async function run(kind: Kind): Promise<Sample[]> {
  const rt: Runtime | undefined = sharedRt ? await createRuntime() : undefined;
  const total = warmup + cycles;
  const marks = [warmup || 1, warmup + Math.floor(cycles / 2), total];
  const every = Math.max(1, Number(opt("--every", String(Math.floor(cycles / 10)))));
  let lastWasm = 0, lastInUse = 0;
  const t0 = performance.now();
  const samples: Sample[] = [];
  const sample = async (cycle: number) => {
    // R readings, each after two full GCs with the event loop run in between (finalizers, timers)
    const all: (NodeJS.MemoryUsage & { code: number; anon: number; file: number; newSpace: number; anonLessHeap: number })[] = [];
    for (let r = 0; r < readings; r++) {
      await new Promise((res) => setTimeout(res, 10));
      gc(); gc();
      const rss = rssSplit();
      // anonymous RSS not in V8's heap (physical) nor in WebAssembly memory: malloc'd native
      // memory (glibc arenas), compiled WebAssembly and JS code, thread stacks
      const anonLessHeap = rss.anon - getHeapStatistics().total_physical_size - lastWasm;
      all.push({ ...process.memoryUsage(), code: codeSpaceBytes(), newSpace: newSpaceBytes(), anonLessHeap, ...rss });
    }
    const least = (k: keyof (typeof all)[number]) => mb(Math.min(...all.map((m) => m[k] as number)));
    const s: Sample = {
      cycle, rssMB: least("rss"), rssAnonMB: least("anon"), rssFileMB: least("file"), heapUsedMB: least("heapUsed"), heapTotalMB: least("heapTotal"),
      newSpaceMB: least("newSpace"), anonLessHeapMB: least("anonLessHeap"), codeSpaceMB: least("code"),
      heapLessCodeMB: mb(Math.min(...all.map((m) => m.heapUsed - m.code))), externalMB: least("external"), arrayBuffersMB: least("arrayBuffers"),
      wasmMB: mb(lastWasm), wasmInUseKB: Math.round(lastInUse / 1024), ms: Math.round(performance.now() - t0),
    };
    samples.push(s);
    console.log(JSON.stringify({ kind, ...s, ...(readings > 1 ? { heapUsedMBAll: all.map((m) => mb(m.heapUsed)) } : {}) }));
    if (snapshots && marks.includes(cycle)) console.log(`snapshot ${writeHeapSnapshot(join(snapshots, `${kind}-cycle-${cycle}.heapsnapshot`))}`);
  };
  const kept = kind === "load" ? undefined : await LLM.load(model, { runtime: rt });
  for (let c = 1; c <= total; c++) {
    const llm = kept ?? await LLM.load(model, { runtime: rt });
    let r;
    if (kind === "sessions") {
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
    if (marks.includes(c) || (c > warmup && (c - warmup) % every === 0)) await sample(c);
  }
  kept?.dispose();
  const [a, b, z] = marks.map((m) => samples.find((s) => s.cycle === m)!);
  const what = kind === "sessions" ? `chat sessions (llm.session(), one turn of ${tokens} tokens, dispose()) on one loaded`
    : kind === "completions" ? `generations (${tokens} tokens, a KV cache created and disposed each) on one loaded` : `load/generate(${tokens})/dispose cycles of`;
  console.log(`\n${warmup} warm-up + ${cycles} ${what} ${model}${sharedRt ? " in one shared runtime" : kept ? "" : ", a new runtime per load"}, ${((performance.now() - t0) / 1000).toFixed(0)} s, ${readings} reading(s) per sample${v8flags ? `, V8 flags ${v8flags}` : ""}`);
  console.log(`${"".padEnd(16)} ${`cycle ${a.cycle}`.padStart(11)} ${`cycle ${b.cycle}`.padStart(11)} ${`cycle ${z.cycle}`.padStart(11)}   growth after warm-up`);
  for (const k of KEYS) console.log(`${k.padEnd(16)} ${String(a[k]).padStart(11)} ${String(b[k]).padStart(11)} ${String(z[k]).padStart(11)}   ${growth(a[k], z[k])} %`);
  return samples;
}

const growth = (x: number, y: number) => (y === x ? "0.00" : ((100 * (y - x)) / x).toFixed(2));

// least-squares slope of y over x
function slope(xs: number[], ys: number[]): number {
  const n = xs.length, mx = xs.reduce((p, q) => p + q, 0) / n, my = ys.reduce((p, q) => p + q, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; }
  return sxx > 0 ? sxy / sxx : 0;
}

// the target's three quantities, start (end of warm-up) to end, and the trend over the counted
// cycles; flat when both are under 1 %
function verdict(kind: Kind, s: Sample[]): string[] {
  const a = s.find((x) => x.cycle === (warmup || 1))!, z = s[s.length - 1];
  const after = s.filter((x) => x.cycle >= (warmup || 1));
  return (["heapUsedMB", "wasmMB", "rssMB"] as const).map((k) => {
    const g = (100 * (z[k] - a[k])) / a[k];
    const t = (100 * slope(after.map((x) => x.cycle), after.map((x) => x[k])) * (z.cycle - a.cycle)) / a[k];
    const flat = g < 1 && t < 1;
    return `${kind.padEnd(9)} ${k.padEnd(11)} ${String(a[k]).padStart(8)} -> ${String(z[k]).padStart(8)}  ${g.toFixed(2).padStart(6)} %  trend ${t.toFixed(2).padStart(6)} %  ${flat ? "flat (under 1 %)" : "NOT flat (1 % or more)"}`;
  });
}

const lines: string[] = [];
for (const kind of kinds) lines.push(...verdict(kind, await run(kind)));
console.log(`\ntarget: heaps flat over ${cycles} cycles after ${warmup} warm-up cycles (growth under 1 %)`);
for (const l of lines) console.log(l);
