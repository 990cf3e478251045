// CI check: the README's main command (`npm ci && npm run build && npm run demo`) works on a
// fresh clone with nothing beside it. Copies the files git would commit (tracked, plus untracked
// files that are not ignored) to a temporary folder, points BUDGETKV_SHARED nowhere, and runs the
// build and the demo there. node_modules is linked from this checkout (CI has just run `npm ci`
// on a clean clone); pass --npm-ci to install in the copy instead (slower, from the npm cache).
// Usage: node scripts/check-fresh-clone.mjs [--npm-ci] [--keep]
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter } from "node:path";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// `npm run` puts node_modules/.bin first on PATH, and a dev dependency (@as-pect/cli, through
// npm-install-peers) installs npm 6 there: the npm and npx we spawn are the user's own.
process.env.PATH = (process.env.PATH ?? "").split(delimiter).filter((p) => !/[\\/]node_modules[\\/]/.test(p)).join(delimiter);

const root = join(fileURLToPath(import.meta.url), "..", "..");
const args = new Set(process.argv.slice(2));
const tmp = mkdtempSync(join(tmpdir(), "budgetkv-fresh-"));
const repo = join(tmp, "budgetkv");
const fail = (msg) => { console.error(`check-fresh-clone: ${msg} (copy kept in ${repo})`); process.exit(1); };

const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
  .split("\0").filter((f) => f && existsSync(join(root, f)));
for (const f of files) {
  mkdirSync(dirname(join(repo, f)), { recursive: true });
  copyFileSync(join(root, f), join(repo, f));
}
console.log(`check-fresh-clone: ${files.length} files copied to ${repo}`);

const env = { ...process.env, BUDGETKV_SHARED: join(tmp, "nothing-here") };
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const run = (cmd) => {
  console.log(`check-fresh-clone: $ npm ${cmd.join(" ")}`);
  const r = spawnSync(npm, cmd, { cwd: repo, env, encoding: "utf8" });
  if (r.status !== 0) fail(`npm ${cmd.join(" ")} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
};
if (args.has("--npm-ci")) run(["ci", "--prefer-offline", "--no-audit", "--no-fund"]);
else symlinkSync(join(root, "node_modules"), join(repo, "node_modules"), "dir");
run(["run", "build"]);
const demo = run(["run", "demo"]);
if (!/evaluating on data\/stories\.txt/.test(demo)) fail(`the demo did not fall back to data/stories.txt:\n${demo}`);
if (!/^dbudget:0\.01 /m.test(demo)) fail(`the demo printed no dbudget row:\n${demo}`);
if (!readFileSync(join(repo, "tradeoff.svg"), "utf8").startsWith("<svg")) fail("tradeoff.svg is not an SVG");
console.log("check-fresh-clone: ok (build and demo ran with nothing beside the repository)");
if (!args.has("--keep")) rmSync(tmp, { recursive: true, force: true });
