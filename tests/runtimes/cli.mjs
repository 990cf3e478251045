// Node and Deno side of the three-runtime test: runs the cases in a JSON file with the library
// at LIBRARY (dist/budgetkv.mjs for Node, src/index.ts for Deno) and prints the results as JSON.
//   node tests/runtimes/cli.mjs LIBRARY CASES.json [sessions]      deno run -A tests/runtimes/cli.mjs LIBRARY CASES.json [sessions]
// With "sessions" the cases are save/restore cases (runSessionCases).
import { runCases, runSessionCases } from "./run-case.mjs";

const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const [lib, casesFile, kind] = args;
const { LLM } = await import(new URL(lib, `file://${globalThis.Deno ? globalThis.Deno.cwd() : globalThis.process.cwd()}/`).href);
const text = globalThis.Deno ? await globalThis.Deno.readTextFile(casesFile) : (await import("node:fs")).readFileSync(casesFile, "utf8");
const results = await (kind === "sessions" ? runSessionCases : runCases)(LLM, JSON.parse(text));
console.log(JSON.stringify(results));
