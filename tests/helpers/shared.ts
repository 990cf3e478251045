// Where the test models and data live: $BUDGETKV_SHARED, default ../shared beside the repo.
// A missing file skips the test with a visible reason, except under CI, where it fails.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// the repository root: the nearest folder above this file (or its esbuild bundle) with package.json
function findRoot(): string {
  let dir = fileURLToPath(new URL(".", import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = resolve(dir, "..");
    if (up === dir) throw new Error("tests: cannot find the repository root");
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot();
const repoRoot = REPO_ROOT;

// a committed expected-output file in tests/fixtures
export function fixturePath(name: string): string {
  return join(REPO_ROOT, "tests", "fixtures", name);
}

export const SHARED = process.env.BUDGETKV_SHARED ?? resolve(repoRoot, "..", "shared");
export const IN_CI = process.env.CI === "true" || process.env.CI === "1";

export function sharedPath(...parts: string[]): string {
  return join(SHARED, ...parts);
}

// For node:test's `skip` option: false when every file exists, else the reason.
// Under CI a missing file throws, so the run fails loudly.
export function needFiles(...rel: string[]): false | string {
  const missing = rel.filter((r) => !existsSync(sharedPath(r)));
  if (!missing.length) return false;
  const msg = `missing test files in ${SHARED}: ${missing.join(", ")}`;
  if (IN_CI) throw new Error(`${msg} (CI needs them)`);
  return msg;
}
