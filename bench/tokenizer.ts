// Tokenizer speed: encode and decode of 100 KB of TinyStories text for each tokenizer family.
// Each tokenizer's round trip is checked before anything is timed (tests/tokenizer-roundtrip
// holds the same check as a test).
//   node scripts/run-ts.mjs bench/tokenizer.ts [--json]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseGGUFHeader } from "../src/format/gguf.ts";
import { tokenizerFromGGUF, tokenizerFromHF, tokenizerFromLlama2c, type Tokenizer } from "../src/tokenizer/index.ts";
import { cleanSpaces } from "../src/tokenizer/bpe.ts";
import { timeIt } from "./timing.ts";

const json = process.argv.includes("--json");
const shared = process.env.BUDGETKV_SHARED ?? join(process.cwd(), "..", "shared");
const at = (rel: string) => join(shared, rel);
const gguf = (rel: string) => {
  const bytes = new Uint8Array(readFileSync(at(rel)));
  return tokenizerFromGGUF(parseGGUFHeader(bytes, bytes.length, rel).metadata, rel);
};

const loaders: [string, () => Tokenizer][] = [
  ["spm (llama-spm)", () => gguf("models/vocab/ggml-vocab-llama-spm.gguf")],
  ["bpe (gpt-2)", () => gguf("models/vocab/ggml-vocab-gpt-2.gguf")],
  ["llama2c (tokenizer.bin)", () => tokenizerFromLlama2c(new Uint8Array(readFileSync(at("models/tokenizer.bin"))), "tokenizer.bin")],
  ["hf (tinystories-656k)", () => tokenizerFromHF(readFileSync(at("models/tinystories-656k/tokenizer.json"), "utf8"), JSON.parse(readFileSync(at("models/tinystories-656k/tokenizer_config.json"), "utf8")))],
];

const text = readFileSync(at("data/tinystories_val.txt"), "utf8").slice(0, 100_000);
const kb = Buffer.byteLength(text) / 1024;
const rows = [];
for (const [name, load] of loaders) {
  const tok = load();
  const addBos = tok.kind === "llama2c";
  const ids = tok.encode(text, { addBos });
  const want = tok.kind === "bpe" ? cleanSpaces(text) : text;
  if (tok.decode(ids) !== want) throw new Error(`${name}: decode(encode(text)) does not give the text back`);
  const enc = await timeIt(`${name} encode`, () => tok.encode(text, { addBos }), { budgetMs: 2000 });
  const dec = await timeIt(`${name} decode`, () => tok.decode(ids), { budgetMs: 1000 });
  rows.push({ tokenizer: name, kb: +kb.toFixed(1), tokens: ids.length, encode_ms: enc.median_ms, decode_ms: dec.median_ms, encode_kb_s: kb / (enc.median_ms / 1000), decode_kb_s: kb / (dec.median_ms / 1000) });
}
if (json) console.log(JSON.stringify(rows, null, 2));
else console.table(rows.map((r) => ({ tokenizer: r.tokenizer, tokens: r.tokens, "encode ms": r.encode_ms.toFixed(1), "decode ms": r.decode_ms.toFixed(1), "encode KB/s": r.encode_kb_s.toFixed(0), "decode KB/s": r.decode_kb_s.toFixed(0) })));
