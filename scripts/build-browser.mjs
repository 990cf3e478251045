// Builds dist/budgetkv.browser.mjs: the library as one self-contained ESM file for pages and
// module Workers (dependencies bundled). Until the package's own browser build lands in
// scripts/build.mjs, the demo page, `npm run serve` and the Chromium tests build it here.
// Node built-ins appear only as dynamic import()s inside file-path branches that browsers never
// reach; the check below fails the build on a static one.
// Usage: node scripts/build-browser.mjs  (after npm run build:wasm)
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = join(fileURLToPath(import.meta.url), "..", "..");
export const BROWSER_BUNDLE = join(root, "dist", "budgetkv.browser.mjs");

export async function buildBrowserBundle() {
  await build({
    entryPoints: [join(root, "src/index.ts")], outfile: BROWSER_BUNDLE, bundle: true, format: "esm",
    platform: "browser", target: "es2022", sourcemap: true, logLevel: "warning", external: ["node:*"],
  });
  const lib = readFileSync(BROWSER_BUNDLE, "utf8");
  const bad = lib.match(/^\s*import[^(]*from\s*["'](node:[^"']+|[^./][^"']*)["']/m);
  if (bad) throw new Error(`build-browser: ${BROWSER_BUNDLE} imports ${bad[1]} statically`);
  return BROWSER_BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(await buildBrowserBundle());
}
