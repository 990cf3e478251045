// @tensorflow/tfjs-backend-wasm (XNNPACK, single thread; Node gets the SIMD build) as a
// benchmark peer. Every timed call includes dataSync() of the result, so it pays the copy out
// of the wasm heap; tf.tidy frees the intermediates.
import * as tf from "@tensorflow/tfjs-core";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import type { Runner } from "./types.ts";

export const TFJS_VERSION = tf.version_core;

export async function tfjsInit(): Promise<{ simd: boolean; threads: number }> {
  setThreadsCount(1);
  if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the wasm backend did not initialise");
  await tf.ready();
  return { simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")), threads: 1 };
}

// Y (m, n_out) = X (m, n_in) @ W^T. layout "KN": the weight pre-transposed to (n_in, n_out),
// tf.matMul(X, Wt); layout "NK": the (n_out, n_in) layout of model files, transposeB = true.
export function tfjsMatMul(W: Float32Array, X: Float32Array, m: number, n_in: number, n_out: number, layout: "KN" | "NK"): Runner {
  const w = tf.tensor2d(W, [n_out, n_in]);
  const wt = layout === "KN" ? tf.tidy(() => tf.transpose(w)) : w;
  if (wt !== w) w.dispose();
  const x = tf.tensor2d(X, [m, n_in]);
  const run = () => readOut(tf.tidy(() => (layout === "KN" ? tf.matMul(x, wt) : tf.matMul(x, wt, false, true))));
  return { run, output: run, dispose: () => { x.dispose(); wt.dispose(); } };
}

// softmax over the last axis of X (rows, n)
export function tfjsSoftmax(X: Float32Array, rows: number, n: number): Runner {
  const x = tf.tensor2d(X, [rows, n]);
  const run = () => readOut(tf.tidy(() => tf.softmax(x)));
  return { run, output: run, dispose: () => x.dispose() };
}

// the result's values, then frees it. (Returning dataSync()'s typed array from inside tf.tidy
// makes tidy walk every element looking for tensors: 60 % of the time in an earlier version.)
function readOut(t: tf.Tensor): Float32Array {
  const d = t.dataSync() as Float32Array;
  t.dispose();
  return d;
}
