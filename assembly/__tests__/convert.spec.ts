import { bf16_to_f32, f16_to_f32 } from "../convert";
import { ptr } from "./util";

describe("convert", () => {
  it("decodes f16 and bf16 values, body and tail", () => {
    const h = new StaticArray<u16>(9);
    const hv: u16[] = [0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x3555, 0x0400];
    for (let i = 0; i < 9; i++) h[i] = hv[i];
    const y = new StaticArray<f32>(9);
    f16_to_f32(ptr(h), ptr(y), 0, 9);
    const want: f32[] = [1, -2, <f32>5.960464477539063e-8, 65504, Infinity, -Infinity, -0.0, 0.333251953125, <f32>6.103515625e-5];
    for (let i = 0; i < 9; i++) expect<f32>(y[i]).toBe(want[i]);
    expect<u32>(reinterpret<u32>(y[6])).toBe(0x80000000);
    const b = new StaticArray<u16>(9);
    for (let i = 0; i < 9; i++) b[i] = 0x3f80; // 1.0
    bf16_to_f32(ptr(b), ptr(y), 0, 9);
    for (let i = 0; i < 9; i++) expect<f32>(y[i]).toBe(1);
  });
});
