import { exp_f32x4, expf_, expneg_f32x4, expnegf_ } from "../mathx";

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

  it("expneg: lanes equal the scalar, and exp_f32x4 within 1 ulp (bit for bit off ties) on [-87.5, 0]", () => {
    let lanesOff = 0, differ = 0, beyondUlp = 0;
    for (let i = 0; i < 100000; i++) {
      const v = <f32>(-110.0 + <f64>i * 0.0011);
      const w = <f32>(-<f64>i * 0.0000874);
      const lanes = expneg_f32x4(f32x4(v, w, v * 0.5, w * 0.01));
      if (reinterpret<u32>(f32x4.extract_lane(lanes, 0)) != reinterpret<u32>(expnegf_(v))) lanesOff++;
      if (reinterpret<u32>(f32x4.extract_lane(lanes, 1)) != reinterpret<u32>(expnegf_(w))) lanesOff++;
      if (reinterpret<u32>(f32x4.extract_lane(lanes, 2)) != reinterpret<u32>(expnegf_(v * 0.5))) lanesOff++;
      if (reinterpret<u32>(f32x4.extract_lane(lanes, 3)) != reinterpret<u32>(expnegf_(w * 0.01))) lanesOff++;
      if (v >= -87.5) {
        const d = abs<i32>(reinterpret<i32>(expnegf_(v)) - reinterpret<i32>(expf_(v)));
        if (d != 0) differ++;
        if (d > 1) beyondUlp++;
      } else {
        expect<f32>(expnegf_(v)).toBe(0);
      }
    }
    expect<i32>(lanesOff).toBe(0);
    expect<i32>(beyondUlp).toBe(0);
    expect<i32>(differ).toBeLessThanOrEqual(2);
  });

  it("expneg: exp(0) = 1, exp(-inf) = 0, NaN stays NaN, the cut gives 0", () => {
    expect<f32>(expnegf_(0)).toBe(1);
    expect<f32>(expnegf_(-0.0)).toBe(1);
    expect<f32>(expnegf_(-Infinity)).toBe(0);
    expect<bool>(isNaN<f32>(expnegf_(NaN))).toBe(true);
    const l = expneg_f32x4(f32x4(0, -Infinity, NaN, -88));
    expect<f32>(f32x4.extract_lane(l, 0)).toBe(1);
    expect<f32>(f32x4.extract_lane(l, 1)).toBe(0);
    expect<bool>(isNaN<f32>(f32x4.extract_lane(l, 2))).toBe(true);
    expect<f32>(f32x4.extract_lane(l, 3)).toBe(0);
    expect<bool>(expnegf_(-87.4) > 0).toBe(true);
  });
});

