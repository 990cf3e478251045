// Plain TypeScript reference for assembly/rope.ts: the test oracle and the fallback.
// x (rows, nHeads, headDim) rotated in place for rows r in [r0, r1); cs (maxPos, rotDim/2, 2)
// holds (cos, sin); pos (rows). Each pair (a, b) -> (a cos - b sin, b cos + a sin) in f32,
// the same operations as the kernel, so results agree exactly.

function rope(
  pairs: boolean, x: Float32Array, cs: Float32Array, pos: Int32Array,
  nHeads: number, headDim: number, rotDim: number, r0: number, r1: number,
): void {
  const f = Math.fround;
  const half = rotDim / 2;
  for (let r = r0; r < r1; r++) {
    const t = pos[r] * rotDim;
    for (let h = 0; h < nHeads; h++) {
      const o = (r * nHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const ia = pairs ? o + 2 * i : o + i;
        const ib = pairs ? ia + 1 : ia + half;
        const a = x[ia], b = x[ib], c = cs[t + 2 * i], s = cs[t + 2 * i + 1];
        x[ia] = f(a * c) - f(b * s);
        x[ib] = f(b * c) + f(a * s);
      }
    }
  }
}

// rotates adjacent pairs (x[2i], x[2i+1]) by angle i (GGUF llama, llama2.c)
export function rope_pairs_f32(
  x: Float32Array, cs: Float32Array, pos: Int32Array, nHeads: number, headDim: number, rotDim: number, r0: number, r1: number,
): void {
  rope(true, x, cs, pos, nHeads, headDim, rotDim, r0, r1);
}

// rotates (x[i], x[i + rotDim/2]) by angle i (Hugging Face rotate_half)
export function rope_half_f32(
  x: Float32Array, cs: Float32Array, pos: Int32Array, nHeads: number, headDim: number, rotDim: number, r0: number, r1: number,
): void {
  rope(false, x, cs, pos, nHeads, headDim, rotDim, r0, r1);
}
