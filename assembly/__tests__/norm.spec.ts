import { rmsnorm_f32 } from "../norm";

function arr(vals: f32[]): StaticArray<f32> {
  const a = new StaticArray<f32>(vals.length);
  for (let i = 0; i < vals.length; i++) a[i] = vals[i];
  return a;
}

function ptr<T>(a: StaticArray<T>): usize {
  return changetype<usize>(a);
}

describe("rmsnorm", () => {
  it("scales a row of 5 to unit RMS times w", () => {
    const x = arr([1, 1, 1, 1, 1]), w = arr([1, 2, 3, 4, 5]), y = arr([0, 0, 0, 0, 0]);
    rmsnorm_f32(ptr(x), ptr(w), ptr(y), 5, 0, 0, 1);
    for (let i = 0; i < 5; i++) expect<f32>(y[i]).toBe(<f32>(i + 1));
  });
});
