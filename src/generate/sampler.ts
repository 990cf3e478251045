// Next-token sampling over a logits vector, in llama.cpp's order: repetition penalty, then
// greedy (temperature <= 0) or top-k, top-p, min-p, temperature and a seeded draw. Buffers are
// allocated once per sampler; sampling a token allocates nothing.
import { mulberry32 } from "../util/rng.ts";
import { OptionError } from "../util/option-error.ts";

export interface SamplingOptions {
  temperature?: number;    // <= 0: greedy (argmax, lowest id on ties). Default 0.8
  topK?: number;           // 0: off. Default 40
  topP?: number;           // 1: off. Default 0.95
  minP?: number;           // 0: off. Default 0.05
  repeatPenalty?: number;  // 1: off. Default 1
  repeatLastN?: number;    // tokens the penalty looks back over. Default 64
  seed?: number;           // default 0xC0FFEE
}

export const SAMPLING_DEFAULTS: Required<SamplingOptions> = {
  temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1, repeatLastN: 64, seed: 0xc0ffee,
};

export function validateSampling(o: SamplingOptions): Required<SamplingOptions> {
  const s = { ...SAMPLING_DEFAULTS, ...stripUndefined(o) };
  const bad = (name: string, v: unknown, want: string) => new OptionError(name, v, want, `invalid option ${name} = ${v}: ${want}`);
  if (!Number.isFinite(s.temperature)) throw bad("temperature", s.temperature, "must be a finite number");
  if (!Number.isInteger(s.topK) || s.topK < 0) throw bad("topK", s.topK, "must be an integer >= 0");
  if (!(s.topP > 0 && s.topP <= 1)) throw bad("topP", s.topP, "must be in (0, 1]");
  if (!(s.minP >= 0 && s.minP < 1)) throw bad("minP", s.minP, "must be in [0, 1)");
  if (!(s.repeatPenalty > 0) || !Number.isFinite(s.repeatPenalty)) throw bad("repeatPenalty", s.repeatPenalty, "must be > 0");
  if (!Number.isInteger(s.repeatLastN) || s.repeatLastN < 0) throw bad("repeatLastN", s.repeatLastN, "must be an integer >= 0");
  if (!Number.isInteger(s.seed)) throw bad("seed", s.seed, "must be an integer");
  return s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class Sampler {
  readonly opts: Required<SamplingOptions>;
  private readonly uniform: () => number;
  private idx: Int32Array;      // candidate ids
  private p: Float64Array;      // logits after the repetition penalty
  private w: Float64Array;      // sampling weights of the candidates
  private seen: Int32Array;     // 0/1 marks for the repetition penalty
  private readonly banned: Int32Array; // ids never sampled (end-of-generation ids under ignoreEos)

  constructor(readonly vocabSize: number, opts: SamplingOptions = {}, banned: readonly number[] = []) {
    this.opts = validateSampling(opts);
    this.banned = Int32Array.from(banned.filter((id) => id >= 0 && id < vocabSize));
    this.uniform = mulberry32(this.opts.seed);
    this.idx = new Int32Array(vocabSize);
    this.p = new Float64Array(vocabSize);
    this.w = new Float64Array(vocabSize);
    this.seen = new Int32Array(vocabSize);
  }

  // Picks the next token from `logits` (vocab). `history` holds the tokens so far (prompt + generated).
  sample(logits: Float32Array, history: ArrayLike<number>, historyLen = history.length): number {
    const o = this.opts, V = this.vocabSize, p = this.p;
    for (let i = 0; i < V; i++) p[i] = logits[i];
    for (let i = 0; i < this.banned.length; i++) p[this.banned[i]] = -Infinity;
    if (o.repeatPenalty !== 1 && o.repeatLastN > 0) {
      const from = Math.max(0, historyLen - o.repeatLastN);
      for (let i = from; i < historyLen; i++) {
        const id = history[i];
        if (this.seen[id]) continue;
        this.seen[id] = 1;
        p[id] = p[id] > 0 ? p[id] / o.repeatPenalty : p[id] * o.repeatPenalty;
      }
      for (let i = from; i < historyLen; i++) this.seen[history[i]] = 0;
    }
    if (o.temperature <= 0) {
      let best = 0, bv = -Infinity;
      for (let i = 0; i < V; i++) if (p[i] > bv) { bv = p[i]; best = i; }
      return best;
    }
    return this.sampleTemp();
  }

  // candidates sorted by logit descending, ties by id
  private readonly byLogit = (a: number, b: number): number => (this.p[b] - this.p[a]) || (a - b);

  private sampleTemp(): number {
    const o = this.opts, V = this.vocabSize, idx = this.idx, p = this.p;
    let n = 0;
    for (let i = 0; i < V; i++) { const l = p[i]; if (l === l && l > -Infinity) idx[n++] = i; }
    if (n === 0) throw new Error("sampling: every logit is -inf or NaN");
    const k = o.topK > 0 ? Math.min(o.topK, n) : n;
    partialSort(idx, n, k, this.byLogit);
    n = k;
    // softmax at temperature 1 for top-p / min-p (llama.cpp applies temperature last)
    const max = p[idx[0]];
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(p[idx[j]] - max);
    if (o.topP < 1) {
      let cum = 0, keep = n;
      for (let j = 0; j < n; j++) { cum += Math.exp(p[idx[j]] - max) / sum; if (cum >= o.topP) { keep = j + 1; break; } }
      n = keep;
    }
    if (o.minP > 0) {
      const floor = Math.log(o.minP); // p_j / p_max >= minP  <=>  l_j - l_max >= log(minP)
      let keep = 1;
      while (keep < n && p[idx[keep]] - max >= floor) keep++;
      n = keep;
    }
    let total = 0;
    const w = this.w;
    for (let j = 0; j < n; j++) { w[j] = Math.exp((p[idx[j]] - max) / o.temperature); total += w[j]; }
    let r = this.uniform() * total;
    for (let j = 0; j < n; j++) { r -= w[j]; if (r < 0) return idx[j]; }
    return idx[n - 1];
  }


}

// Orders a[0..k) as the k smallest of a[0..n) under cmp (then sorted), a[k..n) unspecified.
function partialSort(a: Int32Array, n: number, k: number, cmp: (x: number, y: number) => number): void {
  if (k >= n || n <= 256) { a.subarray(0, n).sort(cmp); return; }
  // quickselect the boundary, then sort the head
  let lo = 0, hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (cmp(a[i], pivot) < 0) i++;
      while (cmp(a[j], pivot) > 0) j--;
      if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (k - 1 <= j) hi = j; else if (k - 1 >= i) lo = i; else break;
  }
  a.subarray(0, k).sort(cmp);
}
