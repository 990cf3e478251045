// Builds the distributable files (after build:wasm):
//   dist/budgetkv.mjs          the library for Node and Deno: platform-neutral ESM, dependencies
//                              imported from node_modules, Node built-ins only behind import()
//   dist/budgetkv.browser.mjs  the library for pages, workers and bundlers (exports "browser"):
//                              self-contained ESM, every dependency bundled, node: modules
//                              replaced by a stub that throws when loaded
//   dist/cli.mjs               the command line for Node and Deno (bin/budgetkv.mjs runs it)
//   dist/types/                TypeScript declarations (tsc --emitDeclarationOnly, relative
//                              imports rewritten from .ts to .js so every moduleResolution finds them)
// and checks that the two library bundles keep to their platforms.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const dist = join(root, "dist");
const fail = (msg) => { console.error(`build: ${msg}`); process.exit(1); };
rmSync(dist, { recursive: true, force: true });

// --release (npm pack): no source maps in the package
const common = { bundle: true, format: "esm", target: "es2022", sourcemap: !process.argv.includes("--release"), logLevel: "warning", metafile: true };
const entry = join(root, "src/index.ts");

// node:* in the browser bundle: a module that throws when a Node-only path (file paths, Node
// worker threads) imports it, so that path's own error handling reports it
const nodeStub = {
  name: "node-stub",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: "node-stub" }));
    b.onLoad({ filter: /.*/, namespace: "node-stub" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not available in the browser build of budgetkv`)});`,
      loader: "js",
    }));
  },
};

// the library and the CLI share their code through a chunk (dist/chunk-*.mjs)
const [neutral, browserBuild] = await Promise.all([
  build({
    ...common, entryPoints: { budgetkv: entry, cli: join(root, "src/cli/node.ts") }, outdir: dist, outExtension: { ".js": ".mjs" },
    splitting: true, chunkNames: "chunk-[hash]", platform: "neutral", packages: "external", external: ["node:*"],
  }),
  build({ ...common, entryPoints: [entry], outfile: join(dist, "budgetkv.browser.mjs"), platform: "browser", plugins: [nodeStub] }),
]);

// What each file may still import: the library and its chunks their dependencies and
// (through import()) Node built-ins; the CLI anything; the browser bundle nothing at all.
const deps = Object.keys(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).dependencies ?? {});
for (const [out, o] of Object.entries(neutral.metafile.outputs)) {
  if (out.endsWith(".map") || out.endsWith("cli.mjs")) continue;
  for (const i of o.imports.filter((i) => i.external)) {
    if (i.path.startsWith("node:") ? i.kind !== "dynamic-import" : !deps.includes(i.path)) {
      fail(`${out}: ${i.kind} of ${i.path} (allowed: dependencies, and node: built-ins through import())`);
    }
  }
}
const browserImports = Object.values(browserBuild.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external));
if (browserImports.length) fail(`dist/budgetkv.browser.mjs must import nothing; it imports ${browserImports.map((i) => i.path).join(", ")}`);
// belt and braces: no import statement or import() call with a bare or node: specifier in the text
const browser = readFileSync(join(dist, "budgetkv.browser.mjs"), "utf8");
const bare = browser.match(/^\s*import[^(;]*from\s*["'][^"'./][^"']*["']|\bimport\(\s*["'][^"'./][^"']*["']\s*\)/m);
if (bare) fail(`dist/budgetkv.browser.mjs has a bare import: ${bare[0].trim()}`);

// declarations
const tsc = join(root, "node_modules", ".bin", process.platform === "win32" ? "tsc.cmd" : "tsc");
execFileSync(tsc, ["-p", join(root, "tsconfig.types.json")], { cwd: root, stdio: "inherit" });
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
let nTypes = 0;
for (const f of walk(join(dist, "types"))) {
  const text = readFileSync(f, "utf8");
  const fixed = text.replace(/((?:from|import)\s*\(?\s*["'])(\.\.?\/[^"']*)\.ts(["'])/g, "$1$2.js$3");
  const left = fixed.match(/["']\.\.?\/[^"']*\.ts["']/);
  if (left) fail(`${relative(root, f)}: a .ts import path is left: ${left[0]}`);
  const bareType = fixed.match(/(?:from|import)\s*\(?\s*["']([^"'./][^"']*)["']/);
  if (bareType) fail(`${relative(root, f)}: the declarations import ${bareType[1]}; types must not depend on other packages`);
  writeFileSync(f, fixed);
  nTypes++;
}

const kb = (f) => `${(statSync(join(dist, f)).size / 1024).toFixed(0)} KB`;
console.log(`dist/budgetkv.mjs (${kb("budgetkv.mjs")}), dist/budgetkv.browser.mjs (${kb("budgetkv.browser.mjs")}), dist/cli.mjs (${kb("cli.mjs")}), dist/types/ (${nTypes} files)`);
