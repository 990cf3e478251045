import { softmax_rows_f32 } from "../softmax";
import { arrOf, ptr } from "./util";

describe("softmax", () => {
  it("normalizes a row of 6 (SIMD body and tail) to a sum of 1", () => {
    const x = arrOf([1, 2, 3, 4, 5, 6]);
    softmax_rows_f32(ptr(x), ptr(x), 6, 0, 1, 0, -1);
    let s: f32 = 0;
    for (let i = 0; i < 6; i++) s += x[i];
    expect<f32>(abs<f32>(s - 1)).toBeLessThan(1e-6);
    expect<bool>(x[5] > x[4]).toBe(true);
    expect<f32>(abs<f32>(x[5] / x[4] - <f32>Math.E)).toBeLessThan(1e-5);
  });

  it("zeros all -inf rows and columns past the causal limit", () => {
    const x = arrOf([-Infinity, -Infinity, -Infinity, 0, 0, 0]);
    const y = arrOf([9, 9, 9, 9, 9, 9]);
    softmax_rows_f32(ptr(x), ptr(y), 3, 0, 2, 0, 0);
    for (let i = 0; i < 3; i++) expect<f32>(y[i]).toBe(0);
    expect<f32>(y[3]).toBe(0.5);
    expect<f32>(y[4]).toBe(0.5);
    expect<f32>(y[5]).toBe(0);
  });

  it("adds the mask", () => {
    const x = arrOf([0, 0, 0, 0, 0]);
    const m = arrOf([0, -Infinity, 0, -Infinity, 0]);
    const y = arrOf([0, 0, 0, 0, 0]);
    softmax_rows_f32(ptr(x), ptr(y), 5, 0, 1, ptr(m), -1);
    expect<f32>(y[1]).toBe(0);
    expect<f32>(abs<f32>(y[0] - <f32>(1.0 / 3.0))).toBeLessThan(1e-7);
  });
});
