// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
// (never a downloaded browser build), a fresh profile per launch, and the repository's static
// server (scripts/serve.mjs: COOP/COEP, shared models at /shared/models/). Node only: under Deno
// these tests skip visibly (they run once, from the Node half of npm test).
// A missing chromium skips visibly, except under CI, where .ci/run installs it and its absence fails.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { IN_CI, REPO_ROOT } from "./shared.ts";

export const CHROMIUM = process.env.BUDGETKV_CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = join(REPO_ROOT, "artifacts", "browser");

// false when the browser tests can run here, else the reason to skip
export function chromiumSkip(): false | string {
  if ("Deno" in globalThis) return "browser tests run under Node only (npm test runs them once)";
  if (existsSync(CHROMIUM)) return false;
  const msg = `${CHROMIUM} is missing (apt-get install -y chromium)`;
  if (IN_CI) throw new Error(`${msg}: CI needs it`);
  return msg;
}

// the repository's scripts, loaded at run time (not bundled into the test)
function script<T>(name: string): Promise<T> {
  return import(pathToFileURL(join(REPO_ROOT, "scripts", name)).href) as Promise<T>;
}

export interface Browser {
  url: string;                                   // the static server's origin
  // deno-lint-ignore no-explicit-any
  context: any;                                  // playwright BrowserContext
  close(): Promise<void>;
}

// Builds dist/budgetkv.browser.mjs, starts the server on a free port and launches Chromium.
export async function launchBrowser(): Promise<Browser> {
  const { buildBrowserBundle } = await script<{ buildBrowserBundle(): Promise<string> }>("build-browser.mjs");
  await buildBrowserBundle();
  const { startServer } = await script<{ startServer(o: object): Promise<{ url: string; close(): Promise<void> }> }>("serve.mjs");
  const server = await startServer({ port: 0 });
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "budgetkv-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"],
    });
  } catch (e) {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    url: server.url,
    context,
    async close() {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
