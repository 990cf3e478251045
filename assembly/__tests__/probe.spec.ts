import { probe_peak_f32, probe_sum_f32 } from "../probe";
import { arr } from "./util";

describe("probe", () => {
  it("probe_peak_f32 runs exactly n_iter steps", () => {
    expect<f32>(probe_peak_f32(3, 0.5, 1)).toBe(<f32>84); // 48 lanes x 1.75
  });

  it("probe_sum_f32 reads every element once", () => {
    const a = arr(37, (i) => <f32>i);
    expect<f32>(probe_sum_f32(changetype<usize>(a), 37)).toBe(<f32>666);
  });
});
