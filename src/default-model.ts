// The model shipped in the package (models/ beside dist/ and src/), used when no source is given:
// `LLM.load()`, `budgetkv run` without -m. Its location is resolved against this module's URL,
// which works unchanged in Node and Deno (a file: URL) and in a page that loads the package from a
// server (an http: URL; bundlers that understand `new URL("...", import.meta.url)` copy the file).
// models/README.md and models/budgetkv-stories-500k.md (its card) say how it was made.

export interface DefaultModel {
  readonly name: string;          // "budgetkv-stories-500k"
  readonly file: string;          // the file name under models/
  readonly license: string;       // SPDX id
  readonly trainedContext: number; // sequence length it was trained on (the file may declare more)
  readonly url: string;           // file: or http(s): URL of the file (throws when unresolvable)
}

export const DEFAULT_MODEL: DefaultModel = {
  name: "budgetkv-stories-500k",
  file: "budgetkv-stories-500k-q8_0.gguf",
  license: "MIT",
  trainedContext: 2048,
  get url(): string {
    // resolved on use, not at import: a module loaded from a blob: or data: URL has no folder
    let url: URL;
    try {
      url = new URL("../models/budgetkv-stories-500k-q8_0.gguf", import.meta.url);
    } catch {
      throw new Error(`the default model cannot be located from this module's URL (${import.meta.url}); pass LLM.load() a URL, a File or the bytes of a model`);
    }
    return url.href;
  },
};
