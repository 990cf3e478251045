// Load time of a GGUF's header and tokenizer: parseGGUFHeader (metadata, the vocabulary's
// strings, tensor infos) and tokenizerFromGGUF (vocabulary tables, merges, specials), on every
// GGUF in the shared folder, among them the 32k-token (llama-spm) and 50k-token (gpt-2, plus 50k
// merges) vocabulary-only files. The first call in the process ("cold": before V8 has optimized
// the parser, what a user waits for) and the median of warm calls, both in CPU time of this
// process (process.cpuUsage: user + system), which a machine loaded by other processes inflates
// far less than wall time (the parse is single-threaded; garbage collection on V8's helper
// threads counts too). The answer first: the parsed vocabulary's size must match the tokenizer's.
//   node scripts/run-ts.mjs bench/load.ts [--json] [--reps 15]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseGGUFHeader } from "../src/format/gguf.ts";
import { tokenizerFromGGUF } from "../src/tokenizer/index.ts";
import { median } from "../src/util/stats.ts";

const json = process.argv.includes("--json");
const shared = process.env.BUDGETKV_SHARED ?? join(process.cwd(), "..", "shared");
const files = ["models", "models/vocab"].flatMap((d) => readdirSync(join(shared, d)).filter((f) => f.endsWith(".gguf")).map((f) => join(d, f)));

const reps = Number(process.argv[process.argv.indexOf("--reps") + 1] ?? 15) || 15;
// CPU milliseconds of this process
const now = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const warm = (fn: () => unknown) => Array.from({ length: reps }, () => { const t = now(); fn(); return now() - t; });
const rows = [];
for (const rel of files) {
  const bytes = new Uint8Array(readFileSync(join(shared, rel)));
  let t = now();
  const h = parseGGUFHeader(bytes, bytes.length, rel);
  const headerCold = now() - t;
  t = now();
  const tok = tokenizerFromGGUF(h.metadata, rel);
  const tokCold = now() - t;
  const n = (h.metadata.get("tokenizer.ggml.tokens") as string[]).length;
  if (tok.vocabSize !== n) throw new Error(`${rel}: ${n} tokens in the header, ${tok.vocabSize} in the tokenizer`);
  const header = median(warm(() => parseGGUFHeader(bytes, bytes.length, rel)));
  const vocab = median(warm(() => tokenizerFromGGUF(h.metadata, rel)));
  const merges = h.metadata.get("tokenizer.ggml.merges") as string[] | undefined;
  rows.push({
    file: rel, bytes: statSync(join(shared, rel)).size, tokens: n, merges: merges?.length ?? 0,
    header_cold_ms: headerCold, tokenizer_cold_ms: tokCold, header_ms: header, tokenizer_ms: vocab,
    total_cold_ms: headerCold + tokCold, total_ms: header + vocab,
  });
}
if (json) console.log(JSON.stringify({ clock: "process CPU time (user + system)", reps, rows }, null, 2));
else console.log(`process CPU ms (user + system); warm: median of ${reps} calls`), console.table(rows.map((r) => ({
  file: r.file, tokens: r.tokens, merges: r.merges, "header cold ms": r.header_cold_ms.toFixed(1), "tokenizer cold ms": r.tokenizer_cold_ms.toFixed(1),
  "header ms": r.header_ms.toFixed(2), "tokenizer ms": r.tokenizer_ms.toFixed(2), "total cold ms": r.total_cold_ms.toFixed(1), "total ms": r.total_ms.toFixed(2),
})));
