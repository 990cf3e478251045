import { pool1d_f32, topk_f32 } from "../aggregate";
import { dbudget_cut_f32, nucleus_cut_f32 } from "../dbudget";
import { ptr } from "./util";

describe("aggregate and cuts", () => {
  it("pool1d_f32 max with kernel 5 over a row of 9 (interior block and both edges)", () => {
    const x: StaticArray<f32> = [0, 9, 1, 2, 3, 4, 5, 6, 7];
    const y = new StaticArray<f32>(9);
    pool1d_f32(ptr(x), ptr(y), 9, 5, 0, 0, 1);
    const want: StaticArray<f32> = [9, 9, 9, 9, 5, 6, 7, 7, 7];
    for (let i = 0; i < 9; i++) expect<f32>(y[i]).toBe(want[i]);
  });

  it("topk_f32 orders by value, ties by position", () => {
    const x: StaticArray<f32> = [1, 3, 3, 2, 3];
    const idx = new StaticArray<i32>(3);
    topk_f32(ptr(x), 5, 3, ptr(idx), 0);
    expect<i32>(idx[0]).toBe(1); expect<i32>(idx[1]).toBe(2); expect<i32>(idx[2]).toBe(4);
    topk_f32(ptr(x), 5, 3, ptr(idx), 1);
    expect<i32>(idx[0]).toBe(4); expect<i32>(idx[1]).toBe(2); expect<i32>(idx[2]).toBe(1);
  });

  it("dbudget_cut_f32 and nucleus_cut_f32 on one head", () => {
    // one head, candidates [3, 2, 1]: weights .6, .3, .1 -> sqrt of running squares
    // .6, .670820, .678233; drop = .115339, .010929, 0
    const a: StaticArray<f32> = [0, 0.1, 0.3, 0.6];
    const order: StaticArray<i32> = [3, 2, 1];
    const scratch = new StaticArray<f64>(3);
    expect<i32>(dbudget_cut_f32(ptr(a), 1, 4, ptr(order), 3, 0.2, ptr(scratch))).toBe(1);
    expect<i32>(dbudget_cut_f32(ptr(a), 1, 4, ptr(order), 3, 0.05, ptr(scratch))).toBe(2);
    expect<i32>(dbudget_cut_f32(ptr(a), 1, 4, ptr(order), 3, 0.001, ptr(scratch))).toBe(3);
    expect<i32>(dbudget_cut_f32(ptr(a), 1, 4, ptr(order), 3, 0, ptr(scratch))).toBe(3);
    // evicted mass keeping j: .4, .1, 0 (total 1)
    expect<i32>(nucleus_cut_f32(ptr(a), 4, ptr(order), 3, 0.2)).toBe(2);
    expect<i32>(nucleus_cut_f32(ptr(a), 4, ptr(order), 3, 0.05)).toBe(3);
  });
});
