import { add_f32, scale_f32, axpy_f32 } from "../elementwise";
import { arr, ptr } from "./util";

describe("elementwise", () => {
  it("add_f32 handles the SIMD body and a tail of 3", () => {
    const n = 11;
    const a = arr(n, (i) => <f32>i), b = arr(n, (i) => <f32>(i * 2)), y = arr(n, (i) => <f32>0);
    add_f32(ptr(a), ptr(b), ptr(y), 0, n);
    for (let i = 0; i < n; i++) expect<f32>(y[i]).toBe(<f32>(i * 3));
  });

  it("scale_f32 leaves elements outside [i0, i1) alone", () => {
    const n = 9;
    const a = arr(n, (i) => <f32>(i + 1)), y = arr(n, (i) => <f32>-1);
    scale_f32(ptr(a), 0.5, ptr(y), 2, 7);
    for (let i = 0; i < n; i++) expect<f32>(y[i]).toBe(i >= 2 && i < 7 ? <f32>(i + 1) * 0.5 : <f32>-1);
  });

  it("axpy_f32 accumulates", () => {
    const n = 6;
    const a = arr(n, (i) => <f32>i), y = arr(n, (i) => <f32>1);
    axpy_f32(ptr(a), 2, ptr(y), 0, n);
    for (let i = 0; i < n; i++) expect<f32>(y[i]).toBe(<f32>(i * 2 + 1));
  });
});
