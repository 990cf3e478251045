import { gemv_f32, gemm_f32 } from "../matmul";
import { arr, ptr } from "./util";

// small integers: every product and sum is exact in f32, in any order
describe("matmul", () => {
  it("gemv_f32 covers the 3-row body, a row tail of 2 and an n_in tail of 3", () => {
    const n_out = 8, n_in = 19;
    const W = arr(n_out * n_in, (i) => <f32>(i % 7 - 3)), x = arr(n_in, (i) => <f32>(i - 5)), y = arr(n_out, (i) => <f32>-1);
    gemv_f32(ptr(W), ptr(x), ptr(y), n_in, 0, n_out);
    for (let r = 0; r < n_out; r++) {
      let s: f32 = 0;
      for (let i = 0; i < n_in; i++) s += W[r * n_in + i] * x[i];
      expect<f32>(y[r]).toBe(s);
    }
  });

  it("gemv_f32 leaves rows outside [r0, r1) alone", () => {
    const n_out = 9, n_in = 4;
    const W = arr(n_out * n_in, (i) => <f32>1), x = arr(n_in, (i) => <f32>(i + 1)), y = arr(n_out, (i) => <f32>-1);
    gemv_f32(ptr(W), ptr(x), ptr(y), n_in, 2, 7);
    for (let r = 0; r < n_out; r++) expect<f32>(y[r]).toBe(r >= 2 && r < 7 ? <f32>10 : <f32>-1);
  });

  it("gemm_f32 matches the naive triple loop on 5 x 7 x 13 with columns [1, 6)", () => {
    const m = 5, n_in = 13, n_out = 7;
    const X = arr(m * n_in, (i) => <f32>(i % 5 - 2)), W = arr(n_out * n_in, (i) => <f32>(i % 3 - 1));
    const Y = arr(m * n_out, (i) => <f32>-1);
    gemm_f32(ptr(X), ptr(W), ptr(Y), 0, m, n_in, n_out, 1, 6); // m < 16: no scratch read
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n_out; j++) {
        let s: f32 = 0;
        for (let k = 0; k < n_in; k++) s += X[i * n_in + k] * W[j * n_in + k];
        expect<f32>(Y[i * n_out + j]).toBe(j >= 1 && j < 6 ? s : <f32>-1);
      }
    }
  });

  it("gemm_f32 (packed, m >= 16) matches the naive triple loop on 17 x 11 x 261 with columns [2, 11)", () => {
    const m = 17, n_in = 261, n_out = 11;
    const X = arr(m * n_in, (i) => <f32>(i % 5 - 2)), W = arr(n_out * n_in, (i) => <f32>(i % 3 - 1));
    const Y = arr(m * n_out, (i) => <f32>-1), S = arr(516 * 256 + 256 * 8 + 64, (i) => <f32>0);
    gemm_f32(ptr(X), ptr(W), ptr(Y), ptr(S), m, n_in, n_out, 2, 11);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n_out; j++) {
        let s: f32 = 0;
        for (let k = 0; k < n_in; k++) s += X[i * n_in + k] * W[j * n_in + k];
        expect<f32>(Y[i * n_out + j]).toBe(j >= 2 && j < 11 ? s : <f32>-1);
      }
    }
  });
});
