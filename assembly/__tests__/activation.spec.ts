import { silu_mul_f32 } from "../activation";
import { arrOf, ptr } from "./util";

describe("silu_mul", () => {
  it("gates without NaN at the extremes", () => {
    const a = arrOf([0, -Infinity, Infinity, -100, 100]), b = arrOf([1, 1, 1, 1, 1]), y = arrOf([9, 9, 9, 9, 9]);
    silu_mul_f32(ptr(a), ptr(b), ptr(y), 0, 5);
    expect<f32>(y[0]).toBe(0);
    expect<f32>(y[1]).toBe(0);
    expect<f32>(y[2]).toBe(Infinity);
    expect<bool>(y[3] <= 0 && y[3] > -1e-40).toBe(true);
    expect<f32>(y[4]).toBe(100);
  });
});
