// CI check: the npm package works where a user installs it. Packs the repository (after a
// release build), installs the tarball into an empty project (from the npm cache that `npm ci`
// filled), and runs its consumers there, with no build step and nothing from this checkout:
//   node examples/node.mjs and `npx budgetkv run` (Node ESM, the bin, the packaged default model)
//   tsc, strict, moduleResolution nodenext and bundler, against the emitted .d.ts (skipLibCheck off)
//   deno check and deno run on examples/deno.ts (Deno resolving the package from node_modules)
//   esbuild, platform browser, bundling `import { LLM } from "budgetkv"` (the "browser" export)
// Prints the tarball's size. Usage: node scripts/check-pack.mjs [--keep]
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter } from "node:path";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(fileURLToPath(import.meta.url), "..", "..");
// `npm run` puts node_modules/.bin first on PATH, and a dev dependency (@as-pect/cli, through
// npm-install-peers) installs npm 6 there: the npm and npx we spawn are the user's own.
process.env.PATH = (process.env.PATH ?? "").split(delimiter).filter((p) => !/[\\/]node_modules[\\/]/.test(p)).join(delimiter);
const bin = (name) => join(root, "node_modules", ".bin", name);
const tmp = mkdtempSync(join(tmpdir(), "budgetkv-pack-"));
const app = join(tmp, "app");
const t0 = Date.now();
const say = (msg) => console.log(`check-pack: ${msg} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
const fail = (msg) => { console.error(`check-pack: FAILED: ${msg}\n(files kept in ${tmp})`); process.exit(1); };
// runs a command; returns stdout, or fails with its output
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: app, encoding: "utf8", env: { ...process.env, BUDGETKV_SHARED: join(tmp, "nothing-here"), ...opts.env } });
  if (r.status !== 0) fail(`${[cmd, ...args].join(" ")} exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
const expect = (what, ok) => { if (!ok) fail(what); };

// 1. pack: a release build (no source maps), then `npm pack` without running prepack again
if (!existsSync(join(root, "src", "wasm", "generated", "kernels-wasm.ts"))) execFileSync("npm", ["run", "build:wasm"], { cwd: root, stdio: "inherit" });
execFileSync(process.execPath, [join(root, "scripts", "build.mjs"), "--release"], { cwd: root, stdio: "inherit" });
const [pack] = JSON.parse(execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], { cwd: root, encoding: "utf8" }));
const files = pack.files.map((f) => f.path);
say(`${pack.filename}: ${(pack.size / 1e6).toFixed(2)} MB packed, ${(pack.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${files.length} files`);
for (const f of ["package.json", "README.md", "LICENSE", "bin/budgetkv.mjs", "dist/budgetkv.mjs", "dist/budgetkv.browser.mjs", "dist/cli.mjs",
  "dist/types/index.d.ts", "models/budgetkv-stories-500k-q8_0.gguf", "models/budgetkv-stories-500k.md", "models/README.md"]) expect(`the package lacks ${f}`, files.includes(f));
const stray = files.filter((f) => /^(src|tests|bench|assembly|scripts|data)\/|\.map$/.test(f));
expect(`the package holds development files: ${stray.slice(0, 5).join(", ")}`, stray.length === 0);

// 2. an empty project that installs the tarball (dependencies from the npm cache)
mkdirSync(app);
const typesNode = JSON.parse(readFileSync(join(root, "node_modules", "@types", "node", "package.json"), "utf8")).version;
writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }, null, 2));
run("npm", ["install", `../${pack.filename}`, `@types/node@${typesNode}`, "--prefer-offline", "--no-audit", "--no-fund"]);
for (const f of ["node.mjs", "deno.ts"]) copyFileSync(join(root, "examples", f), join(app, f));
say("installed into an empty project");

// 3. Node: the README's example, and the command line with the packaged model
const out = run(process.execPath, ["node.mjs"]);
expect(`node.mjs printed no story:\n${out}`, /^Once upon a time, there was a little girl/.test(out) && /the KV cache kept \d+ %/.test(out));
const cli = run("npx", ["--no-install", "budgetkv", "run", "-p", "Once upon a time", "-n", "16", "--temp", "0"]);
expect(`npx budgetkv run printed ${JSON.stringify(cli)}`, cli.startsWith("Once upon a time, there was a little girl"));
const version = run("npx", ["--no-install", "budgetkv", "--version"]).trim();
expect(`npx budgetkv --version printed ${JSON.stringify(version)}`, version.includes(pack.version));
say("node.mjs and npx budgetkv ran");

// 4. TypeScript consumers, strict, against the emitted declarations
for (const [resolution, module, types] of [["nodenext", "nodenext", ["node"]], ["bundler", "esnext", []]]) {
  const config = {
    compilerOptions: {
      strict: true, skipLibCheck: false, noEmit: true, target: "es2022", module, moduleResolution: resolution,
      lib: types.length ? ["es2022"] : ["es2022", "dom"], types,
    },
    files: ["deno.ts"],
  };
  writeFileSync(join(app, `tsconfig.${resolution}.json`), JSON.stringify(config, null, 2));
  run(bin("tsc"), ["-p", `tsconfig.${resolution}.json`]);
}
say("tsc strict: 0 errors with moduleResolution nodenext and bundler");

// 5. Deno: type-check and run the Deno example against node_modules
run(bin("deno"), ["check", "deno.ts"]);
const deno = run(bin("deno"), ["run", "--allow-read", "deno.ts"]);
expect(`deno run printed ${JSON.stringify(deno)}`, /^budgetkv-stories-500k: Once upon a time, there was a little girl/.test(deno));
say("deno check and deno run passed");

// 6. a user's bundler, platform browser, no externals: takes the self-contained browser build
const bundled = await build({
  stdin: { contents: 'import { LLM } from "budgetkv"; globalThis.LLM = LLM;', resolveDir: app, loader: "js" },
  bundle: true, format: "esm", platform: "browser", write: false, metafile: true, logLevel: "silent",
});
const inputs = Object.keys(bundled.metafile.inputs);
expect(`the browser bundle came from ${inputs.join(", ")}`, inputs.some((i) => i.endsWith("dist/budgetkv.browser.mjs")) && !inputs.some((i) => i.includes("@huggingface")));
const ext = Object.values(bundled.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
expect(`the user's browser bundle imports ${ext.join(", ")}`, ext.length === 0);
say("esbuild (platform browser) bundled the package with no externals");

console.log(`check-pack: ok; tarball ${pack.filename} ${(pack.size / 1e6).toFixed(2)} MB`);
if (!process.argv.includes("--keep")) rmSync(tmp, { recursive: true, force: true });
