// Decode attention over an f32, f16 and Q8_0 KV cache, interleaved: each round times every type
// once, in a rotating order, so a loaded machine slows all of them alike; the result is each
// type's median over the rounds and its ratio to f32's from the same rounds (and, for a loaded
// machine, the ratio of the fastest rounds: the least disturbed sample of each). Shapes: SmolLM2-135M
// (head_dim 64, 9 query heads over 3 KV heads, 30 layers) and stories260K (head_dim 8, 8 over 4,
// 5 layers), at 512 and 2,048 cached tokens. Every answer is checked against the reference first.
// q8_0/residual=16: Q8_0 rows with the newest 16 kept in an f16 window (kv/store.ts, attnres.ts).
// Two columns of work per shape and length:
//   layers = 1    one layer's cache, attended again and again: it stays in the CPU caches
//   layers = all  one decode step of the whole model: every layer's cache in turn (SmolLM2-135M at
//                 2,048 tokens: 94 MB of f32 rows, 25 MB of Q8_0), so the rows come from memory
//                 as in real decoding
//   node scripts/run-ts.mjs bench/attention-kv-types.ts [--rounds N] [--build relaxed|simd] [--only 1|all] [--clock wall|cpu] [--json]
// --clock cpu times with the process's CPU time instead of the wall clock: on a shared machine a
// sample then leaves out the time slices other processes took (not their effect on the caches).
import { createRuntime, type BuildName } from "../src/wasm/runtime.ts";
import type { Tensor } from "../src/wasm/tensor.ts";
import { attnDecode } from "../src/wasm/ops/attention.ts";
import { writeKVRows } from "../src/wasm/ops/kvrows.ts";
import { KV_TYPES, type KVType, kvRowBytes } from "../src/kv/kv-type.ts";
import * as refkv from "../src/ref/kvrows.ts";
import * as refres from "../src/ref/attnres.ts";
import { Rng } from "../tests/helpers/rand.ts";

const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const json = args.includes("--json");
const ROUNDS = Number(opt("--rounds") ?? 15);
const build = (opt("--build") ?? "auto") as BuildName | "auto";
const only = opt("--only");
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1)) throw new Error(`--rounds ${opt("--rounds")}: expected an integer >= 1`);
if (only !== undefined && only !== "1" && only !== "all") throw new Error(`--only ${only}: expected 1 or all`);
const clock = opt("--clock") ?? "wall";
if (clock !== "wall" && clock !== "cpu") throw new Error(`--clock ${clock}: expected wall or cpu`);
const rt = await createRuntime({ build });
const rng = new Rng(9);
// the variants timed: every KV type, and Q8_0 with a residual window of R rows
const R = 16;
type Variant = KVType | "q8_0/residual=16";
const VARIANTS: Variant[] = [...KV_TYPES, "q8_0/residual=16"];
// ms; cpu: this process's CPU time (user + system), which a loaded machine's time slicing leaves out
const now = clock === "cpu" ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; } : () => performance.now();

interface Shape { name: string; headDim: number; nHeads: number; nKvHeads: number; nLayers: number }
const SHAPES: Shape[] = [
  { name: "SmolLM2-135M 9q/3kv x 64", headDim: 64, nHeads: 9, nKvHeads: 3, nLayers: 30 },
  { name: "stories260K 8q/4kv x 8", headDim: 8, nHeads: 8, nKvHeads: 4, nLayers: 5 },
];

// One decode step over every KV head of `layers` layers, for each type. Every layer holds the same
// rows (one layer's values, quantized once, copied) in its own buffers, so each layer's answer is
// the one checked against the reference. Returns the steps and the tensors to dispose.
function setup(s: Shape, nKv: number, layers: number): { steps: Map<Variant, () => void>; owned: Tensor[] } {
  const { headDim: d, nHeads, nKvHeads } = s, nGroup = nHeads / nKvHeads, scale = 1 / Math.sqrt(d);
  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => { owned.push(t); return t; };
  const q = rng.array(nHeads * d, 2), k = rng.array(nKvHeads * nKv * d), v = rng.array(nKvHeads * nKv * d);
  const tq = keep(rt.fromArray(q)), tkf = keep(rt.fromArray(k)), tvf = keep(rt.fromArray(v));
  const out = keep(rt.zeros([nHeads * d])), scores = keep(rt.zeros([nGroup * nKv]));
  const steps = new Map<Variant, () => void>();
  for (const variant of VARIANTS) {
    const t: KVType = variant === "q8_0/residual=16" ? "q8_0" : variant, nw = variant === t ? 0 : R;
    // the window: each KV head's last nw rows as f16, (nKvHeads, nw, 2d) bytes (the Q8_0 blocks still hold them, unread)
    const win = nw > 0 ? [keep(rt.tensor("u8", [nKvHeads * nw, 2 * d])), keep(rt.tensor("u8", [nKvHeads * nw, 2 * d]))] : [];
    const winBytes = nw > 0 ? [new Uint8Array(nKvHeads * nw * 2 * d), new Uint8Array(nKvHeads * nw * 2 * d)] : [];
    for (let h = 0; nw > 0 && h < nKvHeads; h++) {
      refkv.kv_quantize_rows("f16", k.subarray((h * nKv + nKv - nw) * d), d, winBytes[0].subarray(h * nw * 2 * d), d, nw);
      refkv.kv_quantize_rows("f16", v.subarray((h * nKv + nKv - nw) * d), d, winBytes[1].subarray(h * nw * 2 * d), d, nw);
    }
    if (nw > 0) { win[0].bytes().set(winBytes[0]); win[1].bytes().set(winBytes[1]); }
    // layer 0's rows, then copies for the other layers
    let k0 = tkf, v0 = tvf;
    if (t !== "f32") {
      k0 = keep(rt.tensor("u8", [nKvHeads * nKv, kvRowBytes(t, d)]));
      v0 = keep(rt.tensor("u8", [nKvHeads * nKv, kvRowBytes(t, d)]));
      writeKVRows(k0, t, d, 0, tkf, 0, d, nKvHeads * nKv);
      writeKVRows(v0, t, d, 0, tvf, 0, d, nKvHeads * nKv);
    }
    const ks = [k0], vs = [v0];
    for (let l = 1; l < layers; l++) {
      for (const [src, dst] of [[k0, ks], [v0, vs]] as const) {
        const c = keep(rt.tensor(src.dtype, src.shape));
        c.bytes().set(src.bytes());
        dst.push(c);
      }
    }
    const step = () => {
      for (let l = 0; l < layers; l++) {
        for (let h = 0; h < nKvHeads; h++) {
          const off = h * nGroup * d, kv = h * nKv * d;
          attnDecode(out, tq, ks[l], vs[l], { nKv, headDim: d, nGroup, scale, scores, qOffset: off, outOffset: off, kOffset: kv, vOffset: kv, type: t,
            residual: nw > 0 ? { nw, w0: h * nw, wk: win[0], wv: win[1] } : undefined });
        }
      }
    };
    // the answer first: the kernel against the reference over the same stored rows (the last layer's)
    step();
    const want = new Float32Array(nHeads * d);
    for (let h = 0; h < nKvHeads; h++) {
      const rb = kvRowBytes(t, d), kb = new Uint8Array(nKv * rb), vb = new Uint8Array(nKv * rb);
      if (t === "f32") {
        kb.set(new Uint8Array(k.buffer, h * nKv * d * 4, nKv * rb));
        vb.set(new Uint8Array(v.buffer, h * nKv * d * 4, nKv * rb));
      } else {
        refkv.kv_quantize_rows(t, k.subarray(h * nKv * d), d, kb, d, nKv);
        refkv.kv_quantize_rows(t, v.subarray(h * nKv * d), d, vb, d, nKv);
      }
      if (nw > 0) {
        refres.attn_decode_q8_0_res(q.subarray(h * nGroup * d), kb, vb, nKv - nw, winBytes[0].subarray(h * nw * 2 * d), winBytes[1].subarray(h * nw * 2 * d), nw,
          want.subarray(h * nGroup * d), new Float32Array(nGroup * nKv), d, nGroup, scale);
      } else refkv.attn_decode_kv(t, q.subarray(h * nGroup * d), kb, vb, want.subarray(h * nGroup * d), new Float32Array(nGroup * nKv), nKv, d, nGroup, scale);
    }
    const got = out.f32();
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= 3e-6 + 2e-5 * Math.abs(want[i]))) throw new Error(`${s.name} ${variant} n_kv=${nKv} layers=${layers}: answer differs from the reference at ${i}: ${got[i]} vs ${want[i]}`);
    }
    steps.set(variant, step);
  }
  return { steps, owned };
}

const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const rows: { shape: string; layers: number; n_kv: number; type: Variant; median_us: number; vs_f32: number; min_vs_f32: number; kv_bytes_per_token: number }[] = [];
for (const s of SHAPES) {
  for (const layers of only === "1" ? [1] : only === "all" ? [s.nLayers] : [1, s.nLayers]) {
    for (const nKv of [512, 2048]) {
      const { steps, owned } = setup(s, nKv, layers);
      // calls per sample: about 4 ms of f32 work (one call when a call takes longer)
      const f = steps.get("f32")!;
      let reps = 1;
      for (;;) { const t0 = now(); for (let i = 0; i < reps; i++) f(); if (now() - t0 > 4 || reps > 1 << 16) break; reps *= 2; }
      for (const st of steps.values()) for (let i = 0; i < reps; i++) st();   // warm every type
      const samples = new Map<Variant, number[]>(VARIANTS.map((t) => [t, []]));
      for (let r = 0; r < ROUNDS; r++) {
        const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
        for (const t of order) {
          const st = steps.get(t)!, t0 = now();
          for (let i = 0; i < reps; i++) st();
          samples.get(t)!.push(((now() - t0) / reps) * 1e3);
        }
      }
      for (const t of owned) t.dispose();
      // ratios per round (same round, same machine state), then the median ratio
      const f32s = samples.get("f32")!;
      for (const t of VARIANTS) {
        const ts = samples.get(t)!, tt: KVType = t === "q8_0/residual=16" ? "q8_0" : t;
        rows.push({ shape: s.name, layers, n_kv: nKv, type: t, median_us: median(ts), vs_f32: median(ts.map((x, i) => x / f32s[i])),
          min_vs_f32: Math.min(...ts) / Math.min(...f32s), kv_bytes_per_token: 2 * s.nKvHeads * layers * kvRowBytes(tt, s.headDim) });
      }
    }
  }
}
if (json) console.log(JSON.stringify({ build: rt.build, clock, rounds: ROUNDS, rows }, null, 2));
else {
  console.log(`decode attention, one token over every KV head of 1 or all layers; build ${rt.build}; ${clock} clock; ${ROUNDS} interleaved rounds; vs_f32 = median of per-round time ratios, min_vs_f32 = fastest round / f32's fastest`);
  console.table(rows.map((r) => ({ ...r, median_us: Number(r.median_us.toFixed(2)), vs_f32: Number(r.vs_f32.toFixed(3)), min_vs_f32: Number(r.min_vs_f32.toFixed(3)) })));
}
