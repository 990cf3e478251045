// BUDGETKV_BUILD picks the kernel build for LLM.load (and so the CLI) when no build is given.
import { describe, it, afterEach } from "node:test";
import assert from "node:assert/strict";
import { envBuild } from "../src/wasm/runtime.ts";
import { LLM } from "../src/llm.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
const saved = env.BUDGETKV_BUILD;

describe("BUDGETKV_BUILD", () => {
  afterEach(() => {
    if (saved === undefined) delete env.BUDGETKV_BUILD;
    else env.BUDGETKV_BUILD = saved;
  });

  it("names the build, defaults to auto, and rejects an unknown one by name", () => {
    delete env.BUDGETKV_BUILD;
    assert.equal(envBuild(), "auto");
    for (const b of ["ts", "simd", "relaxed", "auto"]) {
      env.BUDGETKV_BUILD = b;
      assert.equal(envBuild(), b);
    }
    env.BUDGETKV_BUILD = "avx";
    assert.throws(() => envBuild(), /BUDGETKV_BUILD = "avx" is not a kernel build \(expected auto, relaxed, simd, ts\)/);
  });

  it("LLM.load uses it when no build is given; an explicit build wins", { skip: needFiles("models/stories260K.bin", "models/tok512.bin") }, async () => {
    env.BUDGETKV_BUILD = "ts";
    const a = await LLM.load(sharedPath("models", "stories260K.bin"));
    const b = await LLM.load(sharedPath("models", "stories260K.bin"), { build: "simd" });
    try {
      assert.equal(a.engine.rt.build, "ts");
      assert.equal(b.engine.rt.build, "simd");
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
