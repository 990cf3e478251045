import { f16_to_f32 } from "../qblocks";
import { gemv_q8_0, dequant_rows_q4_0 } from "../qmatmul";
import { ptr } from "./util";

describe("qblocks", () => {
  it("f16_to_f32 converts normals, subnormals, zeros and infinities exactly", () => {
    expect<f32>(f16_to_f32(0x3c00)).toBe(1);
    expect<f32>(f16_to_f32(0xc000)).toBe(-2);
    expect<f32>(f16_to_f32(0x7bff)).toBe(65504);
    expect<f32>(f16_to_f32(0x0001)).toBe(<f32>5.960464477539063e-8); // 2^-24
    expect<f32>(f16_to_f32(0x03ff)).toBe(<f32>6.097555160522461e-5); // 1023 * 2^-24
    expect<u32>(reinterpret<u32>(f16_to_f32(0x8000))).toBe(0x80000000); // -0
    expect<f32>(f16_to_f32(0x7c00)).toBe(Infinity);
    expect<f32>(f16_to_f32(0xfc00)).toBe(-Infinity);
    expect<bool>(isNaN(f16_to_f32(0x7e00))).toBe(true);
  });
});

describe("qmatmul", () => {
  it("gemv_q8_0 on one hand-built block: d = 0.5, qs[j] = j - 16, x = 1", () => {
    const w = new StaticArray<u8>(34);
    w[0] = 0x00; w[1] = 0x38; // f16 0.5
    for (let j = 0; j < 32; j++) w[2 + j] = <u8>(j - 16);
    const x = new StaticArray<f32>(32);
    for (let j = 0; j < 32; j++) x[j] = 1;
    const y = new StaticArray<f32>(1);
    gemv_q8_0(ptr(w), ptr(x), ptr(y), 32, 0, 1);
    expect<f32>(y[0]).toBe(-8); // 0.5 * sum(j - 16) = 0.5 * -16
  });

  it("dequant_rows_q4_0 writes (nibble - 8) * d, low nibbles first", () => {
    const w = new StaticArray<u8>(18);
    w[0] = 0x00; w[1] = 0x40; // f16 2.0
    for (let j = 0; j < 16; j++) w[2 + j] = <u8>(j | ((15 - j) << 4));
    const y = new StaticArray<f32>(32);
    dequant_rows_q4_0(ptr(w), ptr(y), 32, 0, 1);
    for (let j = 0; j < 16; j++) {
      const lo: i32 = (j - 8) * 2, hi: i32 = (7 - j) * 2;
      expect<f32>(y[j]).toBe(<f32>lo);
      expect<f32>(y[j + 16]).toBe(<f32>hi);
    }
  });
});
