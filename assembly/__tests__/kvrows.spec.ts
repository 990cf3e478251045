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

  it("a 40-value Q8_0 row: a full block and a short one, quants of x / (amax / 127) rounded half away", () => {
    const d = 40;
    expect<usize>(kv_row_bytes(KV_Q8_0, d)).toBe(44);
    const x = new StaticArray<f32>(d);
    for (let i = 0; i < d; i++) x[i] = <f32>(i - 16) * 0.25;  // block 0 amax 4 (i = 0), block 1 amax 5.75
    const y = new StaticArray<u8>(44);
    kv_quantize_rows_q8_0(ptr(x), d, ptr(y), d, 1);
    expect<i8>(<i8>y[2]).toBe(-127);
    expect<i8>(<i8>y[2 + 16]).toBe(0);
    expect<i8>(<i8>y[2 + 18]).toBe(16);                        // 0.5 * 127 / 4 = 15.875
    expect<i8>(<i8>y[36 + 7]).toBe(127);                       // the last value is the second block's amax
    const back = new StaticArray<f32>(d);
    kv_dequantize_rows_q8_0(ptr(y), ptr(back), d, 1);
    for (let i = 0; i < d; i++) expect<bool>(abs(back[i] - x[i]) <= <f32>0.03).toBe(true);
  });
});
