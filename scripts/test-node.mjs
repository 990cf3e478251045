// Runs the TypeScript tests under Node: esbuild bundles each tests/**/*.test.ts (imports keep
// their .ts extensions, as Deno runs them unchanged), then node:test runs the bundles with
// relaxed SIMD enabled so both kernel builds are tested.
import { build } from "esbuild";
import { sourceImportMetaUrl } from "./esbuild-source-url.mjs";
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const only = process.argv.slice(2);

function find(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === "helpers" || f === "fixtures" ? [] : find(p);
    return f.endsWith(".test.ts") ? [p] : [];
  });
}

let files = find(join(root, "tests"));
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
const outdir = join(root, ".build", "tests");
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: files,
  outdir,
  outbase: join(root, "tests"),
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "inline",
  outExtension: { ".js": ".mjs" },
  logLevel: "warning", plugins: [sourceImportMetaUrl],
});
const bundles = files.map((f) => join(outdir, relative(join(root, "tests"), f)).replace(/\.ts$/, ".mjs"));
const r = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--enable-source-maps", "--test", "--test-reporter=spec", ...bundles], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
