// The budgetkv kernel module: one export list for every kernel family.
// Each family lives in its own file with its shape contract on top.
export * from "./elementwise";
// attention.ts also exports its building blocks to aggregate.ts; only its kernels are module exports
export { attn_decode_f32, attn_decode_f16, attn_decode_q8_0, attn_prefill_f32, attn_prefill_f16, attn_prefill_q8_0 } from "./attention";
export * from "./attnheads";
export * from "./attnres";
// kvrows.ts also exports its row-format helpers; only its kernels are module exports
export { kv_quantize_rows_f16, kv_quantize_rows_q8_0, kv_dequantize_rows_f16, kv_dequantize_rows_q8_0 } from "./kvrows";
export * from "./aggregate";
export * from "./dbudget";
// softmax.ts also exports its row to attention.ts and aggregate.ts; only its kernel is a module export
export { softmax_rows_f32 } from "./softmax";
export * from "./norm";
export * from "./rope";
export * from "./activation";
export * from "./convert";
export * from "./qmatmul";
// qact.ts also exports its row-size and f16-rounding helpers; only its kernel is a module export
export { quantize_rows_q8_0, quantize_rows_q8_k } from "./qact";
// matmul.ts also exports gemm_f32_dot and its packed-gemm pieces to qmatmul.ts; only its kernels are module exports
export { gemv_f32, gemm_f32, gemm_f32_px, pack_x } from "./matmul";
export * from "./probe";
export * from "./copy";

// heap_base() = first byte after the module's static data; the TypeScript heap starts here.
export function heap_base(): usize {
  return __heap_base;
}
