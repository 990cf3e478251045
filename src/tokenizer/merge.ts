// The merge loop shared by the SentencePiece-style (llama.cpp llm_tokenizer_spm, llama2.c encode)
// and byte-level BPE (llama.cpp llm_tokenizer_bpe) tokenizers: repeatedly merge the adjacent pair
// with the best key (smallest; ties: the leftmost pair), until no adjacent pair can merge.
// A priority queue keeps this O(n log n); it picks the same pair as llama2.c's O(n^2) scan,
// which takes the best pair with ties to the leftmost.

// Pairs of characters (code points; bytes for byte strings) that stand side by side somewhere
// inside a vocabulary entry. When every merge result is a vocabulary entry, no merge can ever
// join two symbols whose boundary characters are not such a pair: the symbols then split into
// runs that merge independently, each exactly as it would inside the whole sequence (the best
// pair of a run is picked in the same order). This turns one queue over a long text into many
// short, cacheable ones.
export class AdjacentPairs {
  private readonly set = new Set<number>();

  constructor(entries: Iterable<string>) {
    for (const e of entries) {
      let prev = -1;
      for (const ch of e) {
        const c = ch.codePointAt(0)!;
        if (prev >= 0) this.set.add(prev * 0x110000 + c);
        prev = c;
      }
    }
  }

  has(a: number, b: number): boolean {
    return this.set.has(a * 0x110000 + b);
  }

  // Splits a text whose symbols are its code points into independently merging runs.
  splitText(text: string): string[] {
    const out: string[] = [];
    let start = 0, prev = -1;
    for (let i = 0; i < text.length;) {
      const c = text.codePointAt(i)!;
      if (prev >= 0 && !this.has(prev, c)) { out.push(text.slice(start, i)); start = i; }
      prev = c;
      i += c > 0xffff ? 2 : 1;
    }
    if (start < text.length) out.push(text.slice(start));
    return out;
  }

  // Splits symbols into independently merging runs (see above).
  runs(symbols: readonly string[]): string[][] {
    const out: string[][] = [];
    let start = 0;
    for (let i = 1; i <= symbols.length; i++) {
      if (i === symbols.length || !this.has(lastCodePoint(symbols[i - 1]), symbols[i].codePointAt(0)!)) {
        out.push(symbols.slice(start, i));
        start = i;
      }
    }
    return out;
  }
}

function lastCodePoint(s: string): number {
  const c = s.charCodeAt(s.length - 1);
  return (c & 0xfc00) === 0xdc00 && s.length > 1 ? s.codePointAt(s.length - 2)! : c;
}

// Returns the merge key of (left, right), smaller is better, or undefined: they cannot merge.
export type PairKey = (left: string, right: string) => number | undefined;

export function mergeSymbols(symbols: readonly string[], pairKey: PairKey): string[] {
  const n = symbols.length;
  if (n < 2) return symbols.slice();
  const text = symbols.slice();
  const prev = new Int32Array(n), next = new Int32Array(n), ver = new Int32Array(n);
  for (let i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }

  const q = new PairQueue();
  const tryAdd = (l: number, r: number) => {
    if (l < 0 || r < 0) return;
    const k = pairKey(text[l], text[r]);
    if (k !== undefined) q.push(k, l, r, ver[l], ver[r]);
  };
  for (let i = 1; i < n; i++) tryAdd(i - 1, i);

  while (q.size > 0) {
    q.pop();
    const l = q.l, r = q.r, vl = q.vl0, vr = q.vr0;
    // stale: one side changed (grew, or was absorbed) since the pair was queued
    if (ver[l] !== vl || ver[r] !== vr || text[r] === "") continue;
    text[l] += text[r];
    text[r] = "";
    ver[l]++;
    ver[r]++;
    next[l] = next[r];
    if (next[r] >= 0) prev[next[r]] = l;
    tryAdd(prev[l], l);
    tryAdd(l, next[l]);
  }
  const out: string[] = [];
  for (let i = 0; i !== -1; i = next[i]) out.push(text[i]);
  return out;
}

// Binary min-heap on (key, left) over parallel arrays.
class PairQueue {
  private key: number[] = [];
  private left: number[] = [];
  private right: number[] = [];
  private vl: number[] = [];
  private vr: number[] = [];
  size = 0;

  private less(a: number, b: number): boolean {
    return this.key[a] < this.key[b] || (this.key[a] === this.key[b] && this.left[a] < this.left[b]);
  }

  private swap(a: number, b: number): void {
    swapIn(this.key, a, b); swapIn(this.left, a, b); swapIn(this.right, a, b);
    swapIn(this.vl, a, b); swapIn(this.vr, a, b);
  }

  push(k: number, l: number, r: number, vl: number, vr: number): void {
    let i = this.size++;
    this.key[i] = k; this.left[i] = l; this.right[i] = r; this.vl[i] = vl; this.vr[i] = vr;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  // the popped entry, read by the caller
  l = 0; r = 0; vl0 = 0; vr0 = 0;

  pop(): void {
    this.l = this.left[0]; this.r = this.right[0]; this.vl0 = this.vl[0]; this.vr0 = this.vr[0];
    const last = --this.size;
    if (last > 0) {
      this.swap(0, last);
      let i = 0;
      for (;;) {
        const a = 2 * i + 1, b = a + 1;
        let m = i;
        if (a < last && this.less(a, m)) m = a;
        if (b < last && this.less(b, m)) m = b;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
  }
}

function swapIn(arr: number[], a: number, b: number): void {
  const t = arr[a]; arr[a] = arr[b]; arr[b] = t;
}
