// Builds the distributable bundles with esbuild (after build:wasm):
//   dist/budgetkv.mjs  the library, platform-neutral ESM (Node, Deno, browsers); dependencies external
//   dist/cli.mjs       the command line for Node and Deno (bin/budgetkv.mjs runs it)
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const common = { bundle: true, format: "esm", target: "es2022", sourcemap: true, logLevel: "warning", packages: "external" };
await build({ ...common, entryPoints: [join(root, "src/index.ts")], outfile: join(root, "dist/budgetkv.mjs"), platform: "neutral", external: ["node:*"] });
await build({ ...common, entryPoints: [join(root, "src/cli/node.ts")], outfile: join(root, "dist/cli.mjs"), platform: "node" });
// the library must load in browsers: Node built-ins only behind dynamic import()
const { readFileSync } = await import("node:fs");
const lib = readFileSync(join(root, "dist/budgetkv.mjs"), "utf8");
const bad = lib.match(/^\s*import[^(]*from\s*["']node:[^"']+["']/m);
if (bad) { console.error(`build: dist/budgetkv.mjs imports a Node built-in statically: ${bad[0]}`); process.exit(1); }
console.log("dist/budgetkv.mjs, dist/cli.mjs");
