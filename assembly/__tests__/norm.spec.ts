import { rmsnorm_f32 } from "../norm";
import { arrOf, ptr } from "./util";

describe("rmsnorm", () => {
  it("scales a row of 5 to unit RMS times w", () => {
    const x = arrOf([1, 1, 1, 1, 1]), w = arrOf([1, 2, 3, 4, 5]), y = arrOf([0, 0, 0, 0, 0]);
    rmsnorm_f32(ptr(x), ptr(w), ptr(y), 5, 0, 0, 1);
    for (let i = 0; i < 5; i++) expect<f32>(y[i]).toBe(<f32>(i + 1));
  });
});
