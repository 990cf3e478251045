// Runs one TypeScript entry point (a benchmark or the CLI) under Node: esbuild bundles it
// (imports keep their .ts extensions), then Node runs the bundle with relaxed SIMD enabled.
// Usage: node scripts/run-ts.mjs FILE.ts [args...]
import { build } from "esbuild";
import { sourceImportMetaUrl } from "./esbuild-source-url.mjs";
import { spawnSync } from "node:child_process";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const [entry, ...args] = process.argv.slice(2);
if (!entry) { console.error("usage: node scripts/run-ts.mjs FILE.ts [args...]"); process.exit(2); }
const outfile = join(root, ".build", "run", basename(entry).replace(/\.ts$/, ".mjs"));
await build({
  entryPoints: [entry], outfile, bundle: true, format: "esm", platform: "node", target: "node20",
  packages: "external", sourcemap: "inline", logLevel: "warning", plugins: [sourceImportMetaUrl],
});
const r = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--enable-source-maps", outfile, ...args], { stdio: "inherit" });
process.exit(r.status ?? 1);
