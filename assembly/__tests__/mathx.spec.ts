import { exp_f32x4, expf_ } from "../mathx";

function lane0(v: f32): f32 {
  return f32x4.extract_lane(exp_f32x4(f32x4.splat(v)), 0);
}

describe("mathx", () => {
  it("expf_ and exp_f32x4 agree bit for bit across the whole range", () => {
    let mismatches = 0;
    for (let i = 0; i < 40000; i++) {
      const v = <f32>(-110.0 + <f64>i * 0.005123);
      const lanes = exp_f32x4(f32x4(v, -v, v * 0.25, v * 0.01));
      if (reinterpret<u32>(f32x4.extract_lane(lanes, 0)) != reinterpret<u32>(expf_(v))) mismatches++;
      if (reinterpret<u32>(f32x4.extract_lane(lanes, 1)) != reinterpret<u32>(expf_(-v))) mismatches++;
      if (reinterpret<u32>(f32x4.extract_lane(lanes, 2)) != reinterpret<u32>(expf_(v * 0.25))) mismatches++;
      if (reinterpret<u32>(f32x4.extract_lane(lanes, 3)) != reinterpret<u32>(expf_(v * 0.01))) mismatches++;
    }
    expect<i32>(mismatches).toBe(0);
  });

  it("is within 1 ulp of exp on sample points", () => {
    const xs: f64[] = [1.0, -1.0, 0.5, 10.0, -10.0, 50.0, -50.0, 88.0, -87.0];
    for (let i = 0; i < xs.length; i++) {
      const want = <f32>Math.exp(xs[i]);
      const got = expf_(<f32>xs[i]);
      const ulps = abs<i32>(reinterpret<i32>(got) - reinterpret<i32>(want));
      expect<i32>(ulps).toBeLessThanOrEqual(1);
    }
    expect<f32>(expf_(0)).toBe(1);
  });

  it("handles the specials and the ends of the range", () => {
    expect<f32>(expf_(-Infinity)).toBe(0);
    expect<f32>(lane0(-Infinity)).toBe(0);
    expect<f32>(expf_(Infinity)).toBe(Infinity);
    expect<f32>(lane0(Infinity)).toBe(Infinity);
    expect<bool>(isNaN<f32>(expf_(NaN))).toBe(true);
    expect<bool>(isNaN<f32>(lane0(NaN))).toBe(true);
    expect<f32>(expf_(89)).toBe(Infinity);
    expect<f32>(expf_(-104)).toBe(0);
    // subnormal results round gradually: exp(-100) = 3.72e-44 is 27 times the smallest subnormal
    expect<u32>(reinterpret<u32>(expf_(-100))).toBe(27);
    expect<bool>(expf_(-88) > 0).toBe(true);
  });
});
