// Worker threads over the kernel module's shared memory. Each worker instantiates the same
// module on the same WebAssembly.Memory and waits on a control block; a split kernel call runs
// one row range on the calling thread and the others on the workers, then waits for them
// (split: fixed parts; splitDynamic: parts every thread takes in turn from a shared counter).
// Kernels give the same bits whatever the row split, so results do not depend on the thread count.
// Needs shared memory and a thread that may block (Node, Deno, browser workers; not a page's
// main thread, where create() returns undefined).
import type { Runtime } from "./runtime.ts";
import type { Kernels } from "./kernels.ts";
import type { Tensor } from "./tensor.ts";

// control block per worker: Int32 words [0] job sequence (-1: exit), [1] done sequence,
// [2] kernel index, [3] argument count, [4] grain (0: run the range in args; > 0: take parts of
// the range [0, [6]) grain at a time from the pool's shared counter), [5] the range's argument
// position, [6] its total; then, from byte ARGS_BYTE, up to MAX_ARGS arguments as Float64
// (pointers and counts exactly, and f32 arguments such as a softmax scale)
const SEQ = 0, DONE = 1, KERNEL = 2, NARGS = 3, GRAIN = 4, RANGE_AT = 5, TOTAL = 6;
const ARGS_BYTE = 32, MAX_ARGS = 24;
const CTL_BYTES = ARGS_BYTE + 8 * MAX_ARGS;
// polls of a control word before a thread blocks on it (about 50-100 microseconds)
const SPIN = 20000;

// The worker's whole program: no imports, so it runs from a string in every runtime.
const WORKER_SOURCE = `
const port = typeof self !== "undefined" && typeof self.postMessage === "function" && typeof require === "undefined"
  ? self : require("node:worker_threads").parentPort;
// f(a[0], ..., a[n-1]) without building an argument array (nothing allocated per dispatch)
const run = (f, a, n) => {
  switch (n) {
    case 5: return f(a[0], a[1], a[2], a[3], a[4]);
    case 6: return f(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7: return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8: return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    case 9: return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    case 10: return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    case 16: return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
    default: return f(...Array.prototype.slice.call(a, 0, n));
  }
};
const on = (f) => port.addEventListener ? port.addEventListener("message", (e) => f(e.data)) : port.on("message", f);
on(async (d) => {
  const { instance } = await WebAssembly.instantiate(d.bytes, { env: { memory: d.memory } });
  const ex = instance.exports, names = d.names, ctl = new Int32Array(d.ctl), args = new Float64Array(d.ctl, ${ARGS_BYTE}, ${MAX_ARGS});
  const next = new Int32Array(d.next);
  port.postMessage("ready");
  let seq = 0;
  for (;;) {
    // spin a little before sleeping: a futex wake-up costs tens of microseconds per kernel call
    for (let i = 0; i < ${SPIN} && Atomics.load(ctl, ${SEQ}) === seq; i++);
    Atomics.wait(ctl, ${SEQ}, seq);
    seq = Atomics.load(ctl, ${SEQ});
    if (seq < 0) return;
    const f = ex[names[ctl[${KERNEL}]]], n = ctl[${NARGS}], grain = ctl[${GRAIN}];
    if (grain === 0) run(f, args, n);
    else {
      // parts taken in turn with the calling thread until the range is done
      const at = ctl[${RANGE_AT}], total = ctl[${TOTAL}];
      for (let lo = Atomics.add(next, 0, grain); lo < total; lo = Atomics.add(next, 0, grain)) {
        args[at] = lo;
        args[at + 1] = Math.min(total, lo + grain);
        run(f, args, n);
      }
    }
    Atomics.store(ctl, ${DONE}, seq);
    Atomics.notify(ctl, ${DONE});
  }
});
`;

type Kernel = (...a: number[]) => void;

// f(a[0], ..., a[n-1]) without building an argument array
function call(f: Kernel, a: number[], n: number): void {
  switch (n) {
    case 5: f(a[0], a[1], a[2], a[3], a[4]); return;
    case 6: f(a[0], a[1], a[2], a[3], a[4], a[5]); return;
    case 7: f(a[0], a[1], a[2], a[3], a[4], a[5], a[6]); return;
    case 8: f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]); return;
    case 9: f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]); return;
    case 10: f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]); return;
    case 16: f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]); return;
    default: f(...a.slice(0, n));
  }
}

interface WorkerLike { postMessage(m: unknown): void; terminate(): unknown; unref?(): void }

export class ThreadPool {
  private seq = 0;
  private readonly index = new Map<string, number>();

  private constructor(readonly rt: Runtime, private readonly workers: WorkerLike[], private readonly ctl: Int32Array[], private readonly args: Float64Array[], readonly names: string[],
                      private readonly next: Int32Array) {
    names.forEach((n, i) => this.index.set(n, i));
    this.dispatched = new Uint8Array(workers.length + 1);
  }

  get threads(): number { return this.workers.length + 1; }

  // A pool of `threads - 1` workers, or undefined when this runtime cannot run one (no shared
  // memory, the ts build, or a thread that must not block).
  static async create(rt: Runtime, threads: number, names: (keyof Kernels)[]): Promise<ThreadPool | undefined> {
    if (threads <= 1 || !rt.shared || !rt.moduleBytes) return undefined;
    const g = globalThis as { document?: unknown; Deno?: unknown; process?: { versions?: { node?: string } } };
    if (g.document !== undefined) return undefined; // a page's main thread may not Atomics.wait
    const makeWorker = await workerFactory();
    if (!makeWorker) return undefined;
    const workers: WorkerLike[] = [], ctl: Int32Array[] = [], args: Float64Array[] = [];
    // the counter a dynamic split's threads take their parts from
    const next = new Int32Array(new SharedArrayBuffer(4));
    try {
      // started together, so a large pool starts in about the time of one worker
      const ready: Promise<void>[] = [];
      for (let t = 1; t < threads; t++) {
        const c = new Int32Array(new SharedArrayBuffer(CTL_BYTES));
        const w = makeWorker();
        workers.push(w.worker);
        ctl.push(c);
        args.push(new Float64Array(c.buffer, ARGS_BYTE, MAX_ARGS));
        w.worker.postMessage({ bytes: rt.moduleBytes, memory: rt.memory, names, ctl: c.buffer, next: next.buffer });
        ready.push(w.ready);
      }
      await Promise.all(ready);
      for (const w of workers) w.unref?.();
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new ThreadPool(rt, workers, ctl, args, names as string[], next);
  }

  // Arguments of the next split(), filled in by the caller (reused: a split allocates nothing).
  readonly argv: number[] = new Array(MAX_ARGS).fill(0);
  // which threads the current split() gave a part to (any thread count: not a 32-bit mask)
  private readonly dispatched: Uint8Array;

  // Runs kernel `name` with argv[0 .. nargs) over [0, total) of the range pair argv[rangeAt],
  // argv[rangeAt + 1], split in contiguous parts of `align` multiples; part 0 runs here.
  // With scratchAt >= 0, thread t gets scratch[t] at argv[scratchAt] (a buffer of its own).
  // With cuts (threads + 1 ascending entries from 0 to total), thread t gets [cuts[t], cuts[t + 1])
  // instead of equal parts (for work that grows along the range, as causal attention's rows do).
  split(name: keyof Kernels, nargs: number, rangeAt: number, total: number, align = 1, scratchAt = -1, scratch?: readonly Tensor[], cuts?: Int32Array): void {
    const n = this.threads, a = this.argv;
    const k = this.kernel(name, nargs);
    const step = Math.ceil(total / n / align) * align;
    const seq = ++this.seq;
    for (let t = 1; t < n; t++) {
      this.dispatched[t] = 0;
      const lo = cuts ? cuts[t] : Math.min(total, t * step), hi = cuts ? cuts[t + 1] : Math.min(total, (t + 1) * step);
      if (lo >= hi) continue;
      const args = this.load(t, k, nargs, 0, 0, 0, scratchAt, scratch);
      args[rangeAt] = lo;
      args[rangeAt + 1] = hi;
      this.wake(t, seq);
    }
    a[rangeAt] = 0;
    a[rangeAt + 1] = cuts ? cuts[1] : Math.min(total, step);
    if (scratchAt >= 0) a[scratchAt] = scratch![0].ptr;
    call(this.rt.k[name] as unknown as Kernel, a, nargs);
    this.join(name, seq);
  }

  // Runs kernel `name` as split() does, but over parts of `grain` (a multiple of the kernel's
  // alignment) that every thread, this one included, takes in turn from a shared counter until
  // [0, total) is done: a thread slowed by other work on its core takes fewer parts, where equal
  // parts would make the call wait for it. For kernels whose result does not depend on the
  // parts (the same bits); scratch as in split().
  splitDynamic(name: keyof Kernels, nargs: number, rangeAt: number, total: number, grain: number, scratchAt = -1, scratch?: readonly Tensor[]): void {
    const n = this.threads, a = this.argv;
    const k = this.kernel(name, nargs);
    if (!(Number.isInteger(grain) && grain > 0)) throw new RangeError(`thread pool: grain ${grain} must be a positive integer`);
    const seq = ++this.seq, next = this.next;
    Atomics.store(next, 0, 0);
    for (let t = 1; t < n; t++) {
      this.load(t, k, nargs, grain, rangeAt, total, scratchAt, scratch);
      this.wake(t, seq);
    }
    if (scratchAt >= 0) a[scratchAt] = scratch![0].ptr;
    const f = this.rt.k[name] as unknown as Kernel;
    for (let lo = Atomics.add(next, 0, grain); lo < total; lo = Atomics.add(next, 0, grain)) {
      a[rangeAt] = lo;
      a[rangeAt + 1] = Math.min(total, lo + grain);
      call(f, a, nargs);
    }
    this.join(name, seq);
  }

  // the registered index of kernel `name`, which takes nargs arguments
  private kernel(name: keyof Kernels, nargs: number): number {
    const k = this.index.get(name);
    if (k === undefined) throw new Error(`thread pool: kernel ${name} is not registered`);
    if (nargs > MAX_ARGS) throw new Error(`thread pool: kernel ${name} takes ${nargs} arguments, more than ${MAX_ARGS}`);
    return k;
  }

  // worker t's control block set for kernel k with the caller's nargs arguments (argv) and its own
  // scratch; grain 0: one fixed range, which the caller writes into the returned arguments; else
  // parts of [0, total) taken from the shared counter, the range at argument rangeAt
  private load(t: number, k: number, nargs: number, grain: number, rangeAt: number, total: number, scratchAt: number, scratch?: readonly Tensor[]): Float64Array {
    const c = this.ctl[t - 1], args = this.args[t - 1], a = this.argv;
    c[KERNEL] = k;
    c[NARGS] = nargs;
    c[GRAIN] = grain;
    c[RANGE_AT] = rangeAt;
    c[TOTAL] = total;
    for (let i = 0; i < nargs; i++) args[i] = a[i];
    if (scratchAt >= 0) args[scratchAt] = scratch![t].ptr;
    return args;
  }

  // starts worker t on job seq (its control block loaded)
  private wake(t: number, seq: number): void {
    const c = this.ctl[t - 1];
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
    this.dispatched[t] = 1;
  }

  // waits for every worker given a part of job seq
  private join(name: string, seq: number): void {
    for (let t = 1; t < this.threads; t++) {
      if (!this.dispatched[t]) continue;
      const c = this.ctl[t - 1];
      for (let i = 0; i < SPIN && Atomics.load(c, DONE) !== seq; i++);
      const t0 = Date.now();
      while (Atomics.load(c, DONE) !== seq) {
        Atomics.wait(c, DONE, Atomics.load(c, DONE), 1000);
        if (Date.now() - t0 > 30_000) throw new Error(`thread pool: worker ${t} stopped responding (kernel ${name})`);
      }
    }
  }

  dispose(): void {
    for (let t = 0; t < this.workers.length; t++) {
      Atomics.store(this.ctl[t], SEQ, -1);
      Atomics.notify(this.ctl[t], SEQ);
      this.workers[t].terminate();
    }
    this.workers.length = 0;
  }
}

let workerUrl: string | undefined;

// new worker running WORKER_SOURCE, with a promise for its "ready" message
async function workerFactory(): Promise<(() => { worker: WorkerLike; ready: Promise<void> }) | undefined> {
  const g = globalThis as { Worker?: new (url: string, o?: object) => WorkerLike & { onmessage: unknown; onerror: unknown }; process?: { versions?: { node?: string } }; Deno?: unknown };
  if (g.process?.versions?.node && !g.Deno) {
    const { Worker } = await import("node:worker_threads");
    return () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      const ready = new Promise<void>((res, rej) => { worker.once("message", () => res()); worker.once("error", rej); });
      return { worker, ready };
    };
  }
  if (typeof g.Worker !== "function") return undefined;
  // one object URL for the page's life: a URL per pool was never revoked, so each load with
  // threads kept one more Blob of the worker's source
  const url = (workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" })));
  return () => {
    const worker = new g.Worker!(url, { type: "module" });
    const ready = new Promise<void>((res, rej) => { worker.onmessage = () => res(); worker.onerror = (e: unknown) => rej(e); });
    return { worker, ready };
  };
}
