import { rope_half_f32, rope_pairs_f32 } from "../rope";
import { arrOf, ptr } from "./util";

describe("rope", () => {
  it("rotates pairs and halves by a quarter turn", () => {
    // cs (max_pos 1, 3 angles, 2): cos 0, sin 1 for every angle
    const cs = arrOf([0, 1, 0, 1, 0, 1]);
    const pos = new StaticArray<i32>(1);
    const xp = arrOf([1, 2, 3, 4, 5, 6, 7]);
    rope_pairs_f32(ptr(xp), ptr(cs), ptr(pos), 1, 7, 6, 0, 1);
    const wp: f32[] = [-2, 1, -4, 3, -6, 5, 7];
    for (let i = 0; i < 7; i++) expect<f32>(xp[i]).toBe(wp[i]);
    const xh = arrOf([1, 2, 3, 4, 5, 6, 7]);
    rope_half_f32(ptr(xh), ptr(cs), ptr(pos), 1, 7, 6, 0, 1);
    const wh: f32[] = [-4, -5, -6, 1, 2, 3, 7];
    for (let i = 0; i < 7; i++) expect<f32>(xh[i]).toBe(wh[i]);
  });
});
