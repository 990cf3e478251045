// onnxruntime-web (wasm backend, single thread, SIMD) as a benchmark peer: one Gemm node with
// the weight as an initializer in its (n_out, n_in) layout (transB = 1), see onnx-model.ts.
// The timed call is session.run(), which also copies the input in and the output out.
import * as ort from "onnxruntime-web";
import { gemmTransBModel } from "./onnx-model.ts";
import type { Runner } from "./types.ts";

export const ORT_VERSION: string = ort.env.versions.web ?? "?";

export function ortInit(): void {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.logLevel = "error";
}

// Y (m, n_out) = X (m, n_in) @ W (n_out, n_in)^T
export async function ortGemm(W: Float32Array, X: Float32Array, m: number, n_in: number, n_out: number): Promise<Runner> {
  const session = await ort.InferenceSession.create(gemmTransBModel(W, m, n_in, n_out), {
    executionProviders: ["wasm"], graphOptimizationLevel: "all",
  });
  const feeds = { X: new ort.Tensor("float32", X, [m, n_in]) };
  return {
    run: () => session.run(feeds),
    output: async () => (await session.run(feeds)).Y.data as Float32Array,
    dispose: () => session.release(),
  };
}
