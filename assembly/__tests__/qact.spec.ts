import { round_f16, q8aRowBytes, q8kaRowBytes } from "../qact";

describe("qact", () => {
  it("round_f16 rounds to the nearest f16 value, ties to even, overflow to inf, NaN kept", () => {
    expect<f32>(round_f16(1)).toBe(1);
    expect<f32>(round_f16(65504)).toBe(65504);
    expect<f32>(round_f16(65519)).toBe(65504);          // below the midpoint 65520
    expect<f32>(round_f16(65520)).toBe(Infinity);       // the midpoint ties to even: 2^16
    expect<f32>(round_f16(<f32>1 + <f32>0.00048828125)).toBe(1);                     // 1 + 2^-11: tie, to even
    expect<f32>(round_f16(<f32>1 + <f32>0.00146484375)).toBe(<f32>1.001953125);      // 1 + 3 * 2^-11: tie, to even (up)
    expect<f32>(round_f16(<f32>8.940696716308594e-8)).toBe(<f32>1.1920928955078125e-7); // 1.5 * 2^-24 -> 2 * 2^-24
    expect<f32>(round_f16(<f32>2.9802322387695312e-8)).toBe(0);                      // 0.5 * 2^-24 -> 0 (even)
    expect<f32>(round_f16(<f32>6.1e-5)).toBe(<f32>6.097555160522461e-5);             // largest subnormal
    expect<bool>(isNaN(round_f16(NaN))).toBe(true);
  });

  it("row sizes: Q8A n + n/8 bytes, Q8KA n + n/64 + n/8", () => {
    expect<usize>(q8aRowBytes(32)).toBe(36);
    expect<usize>(q8aRowBytes(576)).toBe(648);
    expect<usize>(q8kaRowBytes(256)).toBe(292);
    expect<usize>(q8kaRowBytes(1536)).toBe(1752);
  });
});
