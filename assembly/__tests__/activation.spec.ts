import { silu_mul_f32 } from "../activation";

function arr(vals: f32[]): StaticArray<f32> {
  const a = new StaticArray<f32>(vals.length);
  for (let i = 0; i < vals.length; i++) a[i] = vals[i];
  return a;
}

function ptr<T>(a: StaticArray<T>): usize {
  return changetype<usize>(a);
}

describe("silu_mul", () => {
  it("gates without NaN at the extremes", () => {
    const a = arr([0, -Infinity, Infinity, -100, 100]), b = arr([1, 1, 1, 1, 1]), y = arr([9, 9, 9, 9, 9]);
    silu_mul_f32(ptr(a), ptr(b), ptr(y), 0, 5);
    expect<f32>(y[0]).toBe(0);
    expect<f32>(y[1]).toBe(0);
    expect<f32>(y[2]).toBe(Infinity);
    expect<bool>(y[3] <= 0 && y[3] > -1e-40).toBe(true);
    expect<f32>(y[4]).toBe(100);
  });
});
