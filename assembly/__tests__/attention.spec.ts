import { attn_decode_f32, attn_prefill_f32 } from "../attention";
import { arr, ptr } from "./util";

describe("attention", () => {
  it("attn_decode_f32: two equal scores split the weight evenly over 5-wide rows", () => {
    // q (1, 5) = e0; keys 0 and 2 score 1, key 1 scores 0 with scale 1
    const q = arr(5, (i) => i == 0 ? <f32>1 : <f32>0);
    const k = arr(15, (i) => i == 0 || i == 10 ? <f32>1 : <f32>0);
    const v = arr(15, (i) => <f32>(i / 5));      // row j holds j
    const out = arr(5, (i) => <f32>-1), s = arr(3, (i) => <f32>0);
    attn_decode_f32(ptr(q), ptr(k), ptr(v), ptr(out), ptr(s), 3, 5, 1, 1);
    const e = Mathf.E;
    const w0 = e / (<f32>2 * e + <f32>1), w1 = <f32>1 / (<f32>2 * e + <f32>1);
    expect<f32>(s[0]).toBeCloseTo(w0, 6);
    expect<f32>(s[1]).toBeCloseTo(w1, 6);
    expect<f32>(s[2]).toBeCloseTo(w0, 6);
    for (let c = 0; c < 5; c++) expect<f32>(out[c]).toBeCloseTo(w1 + <f32>2 * w0, 6);
  });

  it("attn_prefill_f32: the first chunk row sees only the first key", () => {
    // m = 2 queries over n_kv = 2 keys: query 0 sees key 0 only, so its output is v_0
    const q = arr(8, (i) => <f32>(i + 1)), k = arr(8, (i) => <f32>(i - 3)), v = arr(8, (i) => <f32>(i * 2));
    const out = arr(8, (i) => <f32>0), s = arr(4, (i) => <f32>0); // scores (2, n_kv): f32 takes two heads at a time
    attn_prefill_f32(ptr(q), ptr(k), ptr(v), ptr(out), ptr(s), 2, 2, 4, 1, 4, 0.5, 0, 2, 0, 0, 0);
    for (let c = 0; c < 4; c++) expect<f32>(out[c]).toBe(v[c]);
    for (let c = 0; c < 4; c++) expect<f32>(out[4 + c]).toBeGreaterThan(v[c]); // leans toward v_1 > v_0
  });
});
