// Rotary position embedding, in place, for rows r in [r0, r1):
//   x (rows, n_heads, head_dim) row-major f32; cs (max_pos, rot_dim/2, 2) f32 holding
//   (cos, sin) of pos * inv_freq[i]; pos (rows) i32, each in [0, max_pos) (not checked here).
//   The first rot_dim dims of each head rotate (rot_dim even, <= head_dim); the rest are kept.
//   rope_pairs_f32: pairs (x[2i], x[2i+1]) rotate by angle i  (GGUF llama, llama2.c)
//   rope_half_f32:  pairs (x[i], x[i + rot_dim/2]) rotate by angle i  (Hugging Face rotate_half)
//   Each rotated pair: (a, b) -> (a cos - b sin, a sin + b cos), with plain multiply and add in
//   every build, so both conventions give the same bits for the same (a, b, cos, sin).

export function rope_pairs_f32(x: usize, cs: usize, pos: usize, n_heads: i32, head_dim: i32, rot_dim: i32, r0: i32, r1: i32): void {
  const row_len = <usize>n_heads * <usize>head_dim;
  // sign bit of lanes 0 and 2: negates b*sin in the first element of each pair
  const neg_even = i32x4(-2147483648, 0, -2147483648, 0);
  for (let r = r0; r < r1; r++) {
    const t = cs + ((<usize>load<i32>(pos + (<usize>r << 2)) * <usize>rot_dim) << 2);
    const row = x + ((<usize>r * row_len) << 2);
    for (let h = 0; h < n_heads; h++) {
      const hp = row + ((<usize>h * <usize>head_dim) << 2);
      let i = 0;
      // two pairs per vector: v = [a0 b0 a1 b1], cs = [c0 s0 c1 s1]
      for (; i + 4 <= rot_dim; i += 4) {
        const q = <usize>i << 2;
        const v = v128.load(hp + q);
        const tv = v128.load(t + q);
        const c = i32x4.shuffle(tv, tv, 0, 0, 2, 2);
        const s = i32x4.shuffle(tv, tv, 1, 1, 3, 3);
        const swapped = i32x4.shuffle(v, v, 1, 0, 3, 2);
        const bs = v128.xor(f32x4.mul(swapped, s), neg_even);
        v128.store(hp + q, f32x4.add(f32x4.mul(v, c), bs));
      }
      for (; i < rot_dim; i += 2) {
        const q = <usize>i << 2;
        const a = load<f32>(hp + q), b = load<f32>(hp + q + 4);
        const c = load<f32>(t + q), s = load<f32>(t + q + 4);
        store<f32>(hp + q, a * c - b * s);
        store<f32>(hp + q + 4, b * c + a * s);
      }
    }
  }
}

export function rope_half_f32(x: usize, cs: usize, pos: usize, n_heads: i32, head_dim: i32, rot_dim: i32, r0: i32, r1: i32): void {
  const row_len = <usize>n_heads * <usize>head_dim;
  const half = rot_dim >> 1;
  const hoff = <usize>half << 2;
  for (let r = r0; r < r1; r++) {
    const t = cs + ((<usize>load<i32>(pos + (<usize>r << 2)) * <usize>rot_dim) << 2);
    const row = x + ((<usize>r * row_len) << 2);
    for (let h = 0; h < n_heads; h++) {
      const hp = row + ((<usize>h * <usize>head_dim) << 2);
      let i = 0;
      // four angles per vector: a = x[i..i+4), b = x[i+half..i+half+4)
      for (; i + 4 <= half; i += 4) {
        const q = <usize>i << 2;
        const a = v128.load(hp + q), b = v128.load(hp + hoff + q);
        const t0 = v128.load(t + (q << 1)), t1 = v128.load(t + (q << 1) + 16);
        const c = i32x4.shuffle(t0, t1, 0, 2, 4, 6);
        const s = i32x4.shuffle(t0, t1, 1, 3, 5, 7);
        v128.store(hp + q, f32x4.sub(f32x4.mul(a, c), f32x4.mul(b, s)));
        v128.store(hp + hoff + q, f32x4.add(f32x4.mul(b, c), f32x4.mul(a, s)));
      }
      for (; i < half; i++) {
        const q = <usize>i << 2;
        const a = load<f32>(hp + q), b = load<f32>(hp + hoff + q);
        const c = load<f32>(t + (q << 1)), s = load<f32>(t + (q << 1) + 4);
        store<f32>(hp + q, a * c - b * s);
        store<f32>(hp + hoff + q, b * c + a * s);
      }
    }
  }
}
