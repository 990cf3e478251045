import { f32_to_f16, kv_quantize_rows_q8_0, kv_dequantize_rows_q8_0, kv_row_bytes, KV_Q8_0 } from "../kvrows";
import { f16_to_f32 } from "../qblocks";
import { ptr } from "./util";

describe("kvrows", () => {
  it("f32_to_f16 inverts f16_to_f32 for every non-NaN half, and rounds ties to even", () => {
    for (let h: u32 = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) continue; // NaN
      expect<u32>(f32_to_f16(f16_to_f32(h))).toBe(h);
    }
    expect<u32>(f32_to_f16(<f32>1.0 + <f32>0.00048828125)).toBe(0x3c00);  // 1 + 2^-11: tie, to even
    expect<u32>(f32_to_f16(<f32>1.0 + <f32>0.00146484375)).toBe(0x3c02);  // 1 + 3 * 2^-11: tie, to even (up)
    expect<u32>(f32_to_f16(65519)).toBe(0x7bff);
    expect<u32>(f32_to_f16(65520)).toBe(0x7c00);
    expect<u32>(f32_to_f16(<f32>2.9802322387695312e-8)).toBe(0);           // 2^-25: tie between 0 and the least subnormal
    expect<u32>(f32_to_f16(<f32>-1e-30)).toBe(0x8000);
    expect<u32>(f32_to_f16(NaN) & 0x7fff).toBe(0x7e00);
  });

  it("a 40-value Q8_0 row: a full block and a short one; each block's scale gives no more squared error than ggml's amax / 127", () => {
    const d = 40;
    expect<usize>(kv_row_bytes(KV_Q8_0, d)).toBe(44);
    const x = new StaticArray<f32>(d);
    for (let i = 0; i < d; i++) x[i] = <f32>(i - 16) * 0.25 + <f32>0.01 * <f32>(i % 3);  // block 0 amax 4, block 1 amax 5.76
    const y = new StaticArray<u8>(44);
    kv_quantize_rows_q8_0(ptr(x), d, ptr(y), d, 1, 0);
    const back = new StaticArray<f32>(d);
    kv_dequantize_rows_q8_0(ptr(y), ptr(back), d, 1);
    for (let b = 0; b < 2; b++) {
      const c0 = 32 * b, n = b == 0 ? 32 : 8;
      let amax: f32 = 0;
      for (let c = 0; c < n; c++) amax = max(amax, abs(x[c0 + c]));
      const s: f32 = amax / 127, sh = f16_to_f32(f32_to_f16(s));
      let eg: f32 = 0, e: f32 = 0;
      for (let c = 0; c < n; c++) {
        const g = x[c0 + c] - <f32>nearest(x[c0 + c] / s) * sh;
        eg += g * g;
        const r = x[c0 + c] - back[c0 + c];
        e += r * r;
      }
      expect<bool>(e <= eg * <f32>1.0001).toBe(true);
      const st = f16_to_f32(<u32>load<u16>(ptr(y) + <usize>(34 * b)));
      expect<bool>(st >= sh * <f32>0.999 && st <= sh * <f32>1.02).toBe(true);  // amax / 127 .. amax / 125
    }
    for (let i = 0; i < d; i++) expect<bool>(abs(back[i] - x[i]) <= <f32>0.03).toBe(true);
  });

  it("mu is subtracted from every row before quantizing", () => {
    const d = 8;
    const x = new StaticArray<f32>(2 * d), mu = new StaticArray<f32>(d);
    for (let i = 0; i < 2 * d; i++) x[i] = <f32>100 + <f32>(i % d) * 0.5;
    for (let c = 0; c < d; c++) mu[c] = <f32>100;
    const y = new StaticArray<u8>(20), back = new StaticArray<f32>(2 * d);
    kv_quantize_rows_q8_0(ptr(x), d, ptr(y), d, 2, ptr(mu));
    kv_dequantize_rows_q8_0(ptr(y), ptr(back), d, 2);
    for (let i = 0; i < 2 * d; i++) expect<bool>(abs(back[i] - (x[i] - <f32>100)) <= <f32>0.02).toBe(true);
  });
});
