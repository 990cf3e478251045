// A peer (or our own kernel) prepared for one benchmark shape: run() does the work once,
// output() returns the result for the answer check, dispose() frees what setup allocated.
export interface Runner {
  run(): unknown;                                  // may return a promise (onnxruntime)
  output(): Promise<Float32Array> | Float32Array;
  dispose(): Promise<void> | void;
}
