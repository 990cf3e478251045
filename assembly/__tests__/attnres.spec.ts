import { attn_decode_q8_0_res, attn_prefill_q8_0_res } from "../attnres";
import { f32_to_f16, kv_quantize_rows_q8_0, kv_row_bytes, KV_Q8_0 } from "../kvrows";
import { arr, ptr } from "./util";

// one row of d values f(c) as a Q8_0 KV row (kvrows.ts format)
function q8Row(d: i32, f: (c: i32) => f32): StaticArray<u8> {
  const x = arr(d, f), y = new StaticArray<u8>(<i32>kv_row_bytes(KV_Q8_0, d));
  kv_quantize_rows_q8_0(ptr(x), d, ptr(y), d, 1, 0);
  return y;
}

// one row of d values f(c) as an f16 KV row
function f16Row(d: i32, f: (c: i32) => f32): StaticArray<u16> {
  const y = new StaticArray<u16>(d);
  for (let c = 0; c < d; c++) y[c] = <u16>f32_to_f16(f(c));
  return y;
}

// d = 32: q = e0; the Q8_0 row's key 2 e0 scores about 2, the window row's key 0 scores 0;
// values 1 (Q8_0 row) and 3 (window row)
const d: i32 = 32;
const k = q8Row(d, (c) => c == 0 ? <f32>2 : <f32>0), v = q8Row(d, (c) => <f32>1);
const wk = f16Row(d, (c) => <f32>0), wv = f16Row(d, (c) => <f32>3);
const e2 = Mathf.exp(2), w0 = e2 / (e2 + 1), w1 = <f32>1 / (e2 + 1);

describe("attnres", () => {

  it("attn_decode_q8_0_res: one softmax over the Q8_0 row and the window row, both weighted sums", () => {
    const q = arr(d, (c) => c == 0 ? <f32>1 : <f32>0), out = arr(d, (c) => <f32>-1), s = arr(2, (c) => <f32>0);
    attn_decode_q8_0_res(ptr(q), ptr(k), ptr(v), 1, ptr(wk), ptr(wv), 1, ptr(out), ptr(s), d, 1, 1);
    expect<f32>(s[0]).toBeCloseTo(w0, 2);
    expect<f32>(s[1]).toBeCloseTo(w1, 2);
    expect<f32>(s[0] + s[1]).toBeCloseTo(1, 6);
    for (let c = 0; c < d; c++) expect<f32>(out[c]).toBeCloseTo(s[0] * 1 + s[1] * 3, 2);
  });

  it("attn_decode_q8_0_res: no rows gives out = 0", () => {
    const q = arr(d, (c) => <f32>1), out = arr(d, (c) => <f32>-1), s = arr(1, (c) => <f32>0);
    attn_decode_q8_0_res(ptr(q), ptr(k), ptr(v), 0, ptr(wk), ptr(wv), 0, ptr(out), ptr(s), d, 1, 1);
    for (let c = 0; c < d; c++) expect<f32>(out[c]).toBe(0);
  });

  it("attn_prefill_q8_0_res: the first query sees only the Q8_0 row, the second both rows", () => {
    // m = 2 queries, the last 2 of the nq + nw = 2 joined rows
    const q = arr(2 * d, (i) => i % d == 0 ? <f32>1 : <f32>0), out = arr(2 * d, (c) => <f32>-1), s = arr(2, (c) => <f32>0);
    attn_prefill_q8_0_res(ptr(q), ptr(k), ptr(v), ptr(wk), ptr(wv), ptr(out), ptr(s), 2, 1, 1, d, 1, d, 1, 0, 2, 0, 0, 0);
    for (let c = 0; c < d; c++) expect<f32>(out[c]).toBeCloseTo(1, 2);               // v of the Q8_0 row, weight 1
    for (let c = 0; c < d; c++) expect<f32>(out[d + c]).toBeCloseTo(w0 + 3 * w1, 2);
  });
});
