#!/usr/bin/env node
// The budgetkv command. Runs dist/cli.mjs (built by `npm run build`). In Node 20 it enables
// relaxed SIMD before the kernel module is compiled, so the faster build can be chosen.
import v8 from "node:v8";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

if (process.versions.node && Number(process.versions.node.split(".")[0]) < 22) {
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
}
const cli = fileURLToPath(new URL("../dist/cli.mjs", import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write("budgetkv: error: dist/cli.mjs is missing; run `npm run build` first\n");
  process.exit(1);
}
const { runCli } = await import(cli);
process.exitCode = await runCli(process.argv.slice(2));
