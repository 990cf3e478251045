// One interface over every model file budgetkv reads (GGUF, Hugging Face safetensors folders,
// llama2.c checkpoints), and openModel(), which sniffs the format and dispatches.
//
// Tensors carry canonical (GGUF) names, listed in src/model/config.ts. Besides those, a GGUF
// converted from a Llama 3 checkpoint may hold `rope_freqs.weight` (ropeDim/2, f32): llama.cpp
// bakes Llama 3 rope scaling into it, and the rotation angle of frequency i becomes
// pos * ropeTheta^(-2i/ropeDim) / rope_freqs[i]. config.ropeScaling is then undefined (GGUF does not
// keep the scaling parameters), so a runtime must apply that tensor when it is present.
import type { ModelConfig } from "../model/config.ts";
import type { DType } from "../wasm/dtype.ts";
import type { GGUFValue } from "./gguf.ts";
import type { ByteSource, Folder, FileLike, SourceInput } from "../io/source.ts";
import { isByteSource, isFolder, openFolder, openLocation } from "../io/source.ts";
import { ModelFormatError } from "./errors.ts";
import { openGGUFModel, sniffGGUF } from "./gguf-model.ts";
import { openSafetensorsFile, openSafetensorsFolder, sniffSafetensors } from "./safetensors.ts";
import { openLlama2c, sniffLlama2c } from "./llama2c.ts";
import type { LoadOptions } from "./tensors.ts";

export type ModelFormat = "gguf" | "safetensors" | "llama2c";

export interface TensorEntry {
  readonly name: string;     // canonical name, e.g. blk.0.attn_q.weight
  readonly dtype: DType;     // as stored
  readonly shape: number[];  // outermost first: (n_out, n_in) for a weight
  readonly nbytes: number;
  // The bytes exactly as stored (little-endian, in the dtype's layout), with a byteOffset that is
  // a multiple of 8. May alias the source's memory when it is in memory: treat it as read-only.
  read(): Promise<Uint8Array>;
}

export interface ModelFile {
  readonly format: ModelFormat;
  readonly name: string;
  readonly config: ModelConfig;
  readonly tensors: Map<string, TensorEntry>;
  readonly metadata?: Map<string, GGUFValue>; // GGUF: every key/value (tokenizer.ggml.* included)
  readonly hf?: {                              // Hugging Face folders: the files beside the weights
    tokenizerJson?: string;
    tokenizerConfig?: Record<string, unknown>;
    generationConfig?: Record<string, unknown>;
    config: Record<string, unknown>;
  };
  readonly chatTemplate?: string;
  close(): Promise<void>;
}

export type ModelSource = SourceInput | ByteSource | Folder | Map<string, Blob> | ArrayLike<FileLike>;

export interface OpenModelOptions {
  // "download": bytes of an http(s) file as they arrive; "tensors": tensor bytes read through
  // TensorEntry.read(), out of the sum of every tensor's size (clamped, re-reads count once more).
  onProgress?(loadedBytes: number, totalBytes: number, stage: "download" | "tensors"): void;
  fetch?: typeof fetch;
  name?: string;
}

export async function openModel(src: ModelSource, opts: OpenModelOptions = {}): Promise<ModelFile> {
  const onDownload = opts.onProgress && ((l: number, t: number) => opts.onProgress!(l, t, "download"));
  const srcOpts = { onProgress: onDownload, fetch: opts.fetch, name: opts.name };
  let loc: ByteSource | Folder;
  if (isByteSource(src) || isFolder(src)) loc = src;
  else if (src instanceof Map || (typeof src === "object" && !(src instanceof URL) && !(src instanceof Uint8Array) &&
    !(src instanceof ArrayBuffer) && !(typeof Blob !== "undefined" && src instanceof Blob))) loc = await openFolder(src as Map<string, Blob>, srcOpts);
  else loc = await openLocation(src as SourceInput, srcOpts);

  let loaded = 0, total = 0;
  const load: LoadOptions = {
    onBytes: opts.onProgress && ((n: number) => { loaded += n; opts.onProgress!(Math.min(loaded, total), total, "tensors"); }),
  };
  try {
    const m = isFolder(loc) ? await openModelFolder(loc, load) : await openModelFile(loc, load);
    total = [...m.tensors.values()].reduce((s, e) => s + e.nbytes, 0);
    return m;
  } catch (e) {
    if (isByteSource(loc)) await loc.close();
    throw e;
  }
}

async function openModelFile(src: ByteSource, load: LoadOptions): Promise<ModelFile> {
  const head = await src.read(0, Math.min(src.size, 64));
  const tried: string[] = [];
  const gg = sniffGGUF(head);
  if (gg === true) return openGGUFModel(src, load);
  tried.push(`GGUF (${gg})`);
  const st = sniffSafetensors(head, src.size);
  if (st === true) return openSafetensorsFile(src, load);
  tried.push(`safetensors (${st})`);
  const l2 = sniffLlama2c(head);
  if (l2 === true) return openLlama2c(src, load);
  tried.push(`llama2.c (${l2})`);
  throw new ModelFormatError(src.name, "format", undefined, `not a model file budgetkv can read; tried ${tried.join("; ")}`);
}

async function openModelFolder(folder: Folder, load: LoadOptions): Promise<ModelFile> {
  const config = await folder.tryOpen("config.json");
  if (config) {
    await config.close();
    return openSafetensorsFolder(folder, load);
  }
  const names = folder.list ? await folder.list() : undefined;
  const candidates = names?.filter((n) => /\.(gguf|bin)$/i.test(n)) ?? [];
  if (candidates.length === 1) {
    const src = await folder.tryOpen(candidates[0]);
    if (src) {
      try {
        return await openModelFile(src, load);
      } catch (e) {
        await src.close();
        throw e;
      }
    }
  }
  throw new ModelFormatError(folder.name, "folder", undefined,
    `no config.json (a Hugging Face model folder) and ${candidates.length ? "several" : "no"} .gguf/.bin files${names ? `; it holds: ${names.slice(0, 20).join(", ")}` : ""}`);
}
