// A seeded uniform random generator (mulberry32): integer arithmetic only, so every runtime
// draws the same numbers for the same seed.

// returns a function giving uniform numbers in [0, 1)
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
