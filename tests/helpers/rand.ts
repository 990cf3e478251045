// Seeded random numbers for reproducible tests.
import { mulberry32 } from "../../src/util/rng.ts";

export class Rng {
  readonly next: () => number;
  constructor(seed: number) { this.next = mulberry32(seed); }
  // integer in [lo, hi]
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  // uniform in [-scale, scale)
  uniform(scale = 1): number { return (this.next() * 2 - 1) * scale; }
  normal(): number {
    const u = Math.max(this.next(), 1e-12), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  array(n: number, scale = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.uniform(scale);
    return a;
  }
}
