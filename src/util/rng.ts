// A seeded uniform random generator (mulberry32): integer arithmetic only, so every runtime
// draws the same numbers for the same seed.

// a generator: each call gives a uniform number in [0, 1); `state` (a u32) is all it remembers,
// so saving it and setting it back resumes the same stream (a saved session's random policy)
export type Uniform = (() => number) & { state: number };

export function mulberry32(seed: number): Uniform {
  const f = (() => {
    let t = (f.state = (f.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Uniform;
  f.state = seed >>> 0;
  return f;
}
