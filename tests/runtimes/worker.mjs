// Module Worker for tests/runtimes/page.html: runs the cases it is sent and posts the results.
import { LLM, capabilities } from "/dist/budgetkv.browser.mjs";
import { runCases } from "./run-case.mjs";

self.onmessage = async (e) => {
  try {
    self.postMessage({ results: await runCases(LLM, e.data), capabilities: capabilities() });
  } catch (err) {
    self.postMessage({ error: String(err?.stack || err) });
  }
};
