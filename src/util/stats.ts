// Summaries of repeated measurements (tokens/s over repetitions): median, mean and sample
// standard deviation. Shared by `budgetkv bench` and the benchmarks in bench/.

// the median of xs (the mean of the two middle values for an even count); NaN for no values
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b), k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

// the arithmetic mean; NaN for no values
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

// the sample standard deviation (n - 1 in the denominator, as llama-bench reports); 0 for one value
export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return xs.length === 1 ? 0 : NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

export interface Summary { mean: number; stddev: number; median: number; samples: number[] }

export function summarize(xs: readonly number[]): Summary {
  return { mean: mean(xs), stddev: stddev(xs), median: median(xs), samples: [...xs] };
}
