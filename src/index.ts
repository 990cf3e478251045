// budgetkv: small language models on the CPU from TypeScript, with a KV cache that prunes itself.
export { LLM, type LoadOptions, type LoadProgress, type Prompt } from "./llm.ts";
export type { GenerateOptions, GenerationResult, GenerationStats, FinishReason } from "./generate/session.ts";
export type { SamplingOptions } from "./generate/sampler.ts";
export { SAMPLING_DEFAULTS } from "./generate/sampler.ts";
export type { KVOptions, KVReport } from "./kv/options.ts";
export { POLICIES, buildPolicy } from "./kv/registry.ts";
export { calibrateText, type CalibrateTextOptions, type Calibration } from "./eval/calibrate.ts";
export type { KVPolicy, PolicyFactory, LayerContext, Selection } from "./kv/policy.ts";
export { openModel, type ModelFile, type ModelSource, type TensorEntry } from "./format/model-file.ts";
export type { ModelConfig, Arch } from "./model/config.ts";
export { ModelFormatError } from "./format/errors.ts";
export type { Tokenizer } from "./tokenizer/types.ts";
export { tokenizerFromGGUF, tokenizerFromHF, tokenizerFromLlama2c, applyChatTemplate, type ChatMessage } from "./tokenizer/index.ts";
export { createRuntime, availableBuilds, type Runtime, type BuildName, type RuntimeOptions } from "./wasm/runtime.ts";
export { OutOfMemoryError } from "./wasm/heap.ts";
export { writeGGUF } from "./format/gguf-writer.ts";
