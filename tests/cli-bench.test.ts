// `budgetkv bench`: the shape of its JSON, CSV and table, measured numbers that are finite and
// positive (no timings asserted), memory per row, a pruned policy holding fewer KV bytes than
// the full cache in the same run, and one error line for bad flags.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { main } from "../src/cli/main.ts";
import type { BenchReport } from "../src/cli/bench.ts";
import { needFiles, sharedPath } from "./helpers/shared.ts";

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

const MODEL = sharedPath("models", "stories260K.gguf");
const need = needFiles("models/stories260K.gguf");

const finitePositive = (x: unknown, what: string) => assert.ok(typeof x === "number" && Number.isFinite(x) && x > 0, `${what} = ${x}`);

describe("budgetkv bench", { skip: need }, () => {
  it("--json: one row per model, threads, policy, prompt and length; finite positive speeds and measured memory", async () => {
    const r = await cli("bench", "-m", MODEL, "-p", "16,96", "-n", "6", "-t", "1,2", "-r", "2", "--kv-policy", "full,snapkv", "--kv-ratio", "0.25", "--json");
    assert.equal(r.code, 0, r.err);
    const rep = JSON.parse(r.out) as BenchReport;
    assert.equal(rep.reps, 2);
    assert.equal(rep.rows.length, 2 * 2 * 2);
    for (const row of rep.rows) {
      const at = `${row.kv_policy} t=${row.threads} p=${row.n_prompt}`;
      assert.equal(row.model, "stories260K.gguf");
      assert.equal(row.model_path, MODEL);
      assert.equal(row.n_gen, 6);
      assert.equal(row.reps, 2);
      assert.equal(row.threads, row.threads_asked, at);
      assert.ok(["relaxed", "simd", "ts"].includes(row.build), row.build);
      finitePositive(row.params, "params");
      finitePositive(row.load_ms, "load_ms");
      for (const s of [row.prefill_tok_s, row.decode_tok_s!]) {
        assert.equal(s.samples.length, 2, at);
        for (const x of [...s.samples, s.mean, s.median]) finitePositive(x, `tok/s (${at})`);
        assert.ok(Number.isFinite(s.stddev) && s.stddev >= 0);
        assert.ok(s.median >= Math.min(...s.samples) && s.median <= Math.max(...s.samples));
      }
      finitePositive(row.kv_bytes, `kv_bytes (${at})`);
      // the memory holds the heap, whose high-water mark holds the cache
      assert.ok(row.wasm_memory_bytes >= row.heap_peak_bytes && row.heap_peak_bytes > row.kv_bytes, at);
    }
    assert.deepEqual([...new Set(rep.rows.map((x) => `${x.n_prompt}/${x.threads}/${x.kv_policy}`))].length, 8);
    // at the long prompt, the pruned cache keeps about a quarter of the rows and holds fewer bytes
    for (const t of [1, 2]) {
      const full = rep.rows.find((x) => x.threads === t && x.n_prompt === 96 && x.kv_policy === "full")!;
      const snap = rep.rows.find((x) => x.threads === t && x.n_prompt === 96 && x.kv_policy === "snapkv")!;
      assert.equal(full.kv_kept_ratio, 1);
      assert.ok(snap.kv_kept_ratio > 0.2 && snap.kv_kept_ratio < 0.35, `kept ${snap.kv_kept_ratio}`);
      assert.ok(snap.kv_bytes < full.kv_bytes, `snapkv ${snap.kv_bytes} bytes, full ${full.kv_bytes}`);
    }
    assert.match(r.err, /bench: stories260K\.gguf t=2 kv=snapkv pp96: [\d.]+ tok\/s, tg6: [\d.]+ tok\/s/);
  });

  it("-o csv and the table: a header and one line per row; -n 0 times the prefill alone", async () => {
    const csv = await cli("bench", "-m", MODEL, "-p", "8", "-n", "0,4", "-r", "1", "-o", "csv", "-q");
    assert.equal(csv.code, 0, csv.err);
    assert.equal(csv.err, "");
    const lines = csv.out.trim().split("\n").map((l) => l.split(","));
    assert.equal(lines.length, 3);
    const head = lines[0];
    for (const l of lines) assert.equal(l.length, head.length);
    const col = (l: string[], k: string) => l[head.indexOf(k)];
    assert.equal(col(lines[1], "n_gen"), "0");
    assert.equal(col(lines[1], "decode_tok_s_mean"), "");
    finitePositive(Number(col(lines[1], "prefill_tok_s_mean")), "prefill");
    finitePositive(Number(col(lines[2], "decode_tok_s_median")), "decode");
    finitePositive(Number(col(lines[2], "wasm_memory_bytes")), "wasm memory");

    const table = await cli("bench", "-m", MODEL, "-p", "8", "-n", "4", "-r", "1", "-t", "auto", "-q");
    assert.equal(table.code, 0, table.err);
    const rows = table.out.trim().split("\n");
    assert.equal(rows.length, 3);
    assert.match(rows[0], /^\| model +\| params .*\| +pp t\/s \| +tg t\/s \| kv KiB \| wasm MiB \| heap peak MiB \|$/);
    // threads auto runs a 260K-parameter model on one thread
    assert.match(rows[2], /^\| stories260K\.gguf \| +[\d.]+ K \| \w+ +\| 1 +\| full \| pp8\+tg4 \| +[\d.]+ ± [\d.]+ \| +[\d.]+ ± [\d.]+ \| +[\d.]+ \| +[\d.]+ \| +[\d.]+ \|$/);
  });

  it("bad flags are one error line", async () => {
    const oneLine = async (code: number, re: RegExp, ...argv: string[]) => {
      const r = await cli("bench", ...argv);
      assert.equal(r.code, code, r.err);
      assert.equal(r.err.trim().split("\n").length, 1, `expected one line, got: ${r.err}`);
      assert.match(r.err, re);
    };
    await oneLine(2, /-t "0": the thread count must be auto or an integer from 1/, "-m", MODEL, "-t", "1,0");
    await oneLine(2, /-p "0": expected an integer >= 1/, "-m", MODEL, "-p", "0");
    await oneLine(2, /-n "x": expected an integer >= 0/, "-m", MODEL, "-n", "x");
    await oneLine(2, /-r 0: at least 1 repetition/, "-m", MODEL, "-r", "0");
    await oneLine(2, /-o "xml": expected table, csv or json/, "-m", MODEL, "-o", "xml");
    await oneLine(2, /-p 60 -n 8: 68 tokens do not fit the context size 64/, "-m", MODEL, "-p", "60", "-n", "8", "-c", "64", "-q");
    await oneLine(1, /--kv-policy "nope": unknown KV policy/, "-m", MODEL, "--kv-policy", "full,nope");
    await oneLine(1, /--kv-ratio 2: /, "-m", MODEL, "--kv-policy", "snapkv", "--kv-ratio", "2");
    await oneLine(1, /nonexistent/, "-m", "/nonexistent/model.gguf", "-q");
  });
});
