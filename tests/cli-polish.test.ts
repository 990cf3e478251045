// What users of llama.cpp expect from the command line: --version, a progress bar while a model
// loads (terminals only), a random seed that is printed and -s repeats, warnings when -n or -c
// is clamped, errors that name the flag, and no prompt echoed before an error. Runs on the
// default model, so it needs no shared files.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { main } from "../src/cli/main.ts";
import { REPO_ROOT } from "./helpers/shared.ts";

async function cli(argv: string[], errIsTTY = false): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; }, errIsTTY });
  return { code, out, err };
}

describe("command line polish", () => {
  it("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, "utf8"));
    const r = await cli(["--version"]);
    assert.equal(r.code, 0);
    assert.equal(r.out, `budgetkv ${version}\n`);
  });

  it("a progress bar on a terminal's stderr, erased when loaded; none otherwise", async () => {
    const tty = await cli(["run", "-n", "4", "--temp", "0"], true);
    assert.equal(tty.code, 0, tty.err);
    assert.match(tty.err, /\rloading budgetkv-stories-500k-q8_0\.gguf \[[#-]{30}\] +\d+%/);
    assert.match(tty.err, /\rloading budgetkv-stories-500k-q8_0\.gguf \[#{30}\] 100%\r\x1b\[K/);
    const pipe = await cli(["run", "-n", "4", "--temp", "0"]);
    assert.doesNotMatch(pipe.err, /loading|\r/);
  });

  it("without -s the seed is random and printed; -s with it repeats the run", async () => {
    const a = await cli(["run", "-n", "24", "--temp", "1", "--json"]);
    const b = await cli(["run", "-n", "24", "--temp", "1", "--json"]);
    const ja = JSON.parse(a.out), jb = JSON.parse(b.out);
    assert.ok(Number.isInteger(ja.seed) && ja.seed >= 0 && ja.seed < 2 ** 32);
    assert.notEqual(ja.seed, jb.seed);
    const again = JSON.parse((await cli(["run", "-n", "24", "--temp", "1", "--json", "-s", String(ja.seed)])).out);
    assert.deepEqual(again.tokens, ja.tokens);
    const text = await cli(["run", "-n", "4", "-s", "1234"]);
    assert.match(text.err, /^budgetkv: seed = 1234$/m);
  });

  it("warns when -n or -c is clamped, or -c passes the trained context", async () => {
    const r = await cli(["run", "-p", "Once upon a time", "-c", "32", "-n", "100", "--temp", "0", "--ignore-eos", "--json"]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    const room = 32 - j.prompt_tokens.length;
    assert.equal(j.tokens.length, room);
    assert.match(r.err, new RegExp(`^budgetkv: warning: -n 100 clamped to ${room}: the ${j.prompt_tokens.length}-token prompt leaves ${room} of the 32-token context \\(-c\\)$`, "m"));
    const big = await cli(["run", "-c", "4096", "-n", "2", "--json"]);
    assert.equal(big.code, 0, big.err);
    assert.match(big.err, /warning: -c 4096 is more than the 2048 positions the model was trained for/);
    const quiet = await cli(["run", "-n", "2", "--json"]);
    assert.equal(quiet.err, "");
  });

  it("--ignore-eos is accepted and reported in --help", async () => {
    const h = await cli(["run", "--help"]);
    assert.match(h.out, /--ignore-eos +never end at an end-of-generation token/);
  });

  it("errors name the flag, not the API option, in one line, with nothing echoed", async () => {
    const cases: [string[], RegExp][] = [
      [["--top-p", "2"], /^budgetkv: error: --top-p 2: must be in \(0, 1\]$/],
      [["--kv-policy", "magic"], /^budgetkv: error: --kv-policy "magic": unknown KV policy \(known: full, /],
      [["--kv-policy", "snapkv", "--kv-tolerance", "0.1"], /^budgetkv: error: --kv-tolerance 0.1: KV policy "snapkv" has no such option$/],
      [["--kv-policy", "streaming", "--kv-ratio", "1.5"], /^budgetkv: error: --kv-ratio 1.5: must be <= 1 \(KV policy "streaming"\)$/],
      [["--kv-policy", "streaming", "--kv-phase", "later"], /^budgetkv: error: --kv-phase "later": expected prefill, turn, decode, both$/],
      [["-c", "8", "-p", "Once upon a time there was a big dog"], /^budgetkv: error: the prompt is \d+ tokens, longer than the context size 8$/],
    ];
    for (const [flags, re] of cases) {
      const r = await cli(["run", "-p", "Once upon a time", "-n", "4", ...flags]);
      assert.equal(r.code, 1, r.err);
      assert.equal(r.out, "", `nothing on stdout for ${flags.join(" ")}`);
      assert.equal(r.err.split("\n").filter(Boolean).length, 1, r.err);
      assert.match(r.err.trimEnd(), re);
    }
    // usage errors (exit 2): a context or thread count out of range
    for (const [flags, re] of [[["-c", "0"], /^budgetkv: error: -c 0: the context size must be at least 1$/], [["-t", "0"], /^budgetkv: error: -t 0: the thread count must be from 1 to 64$/]] as [string[], RegExp][]) {
      const r = await cli(["run", "-p", "Once upon a time", "-n", "4", ...flags]);
      assert.equal(r.code, 2, r.err);
      assert.equal(r.out, "", `nothing on stdout for ${flags.join(" ")}`);
      assert.equal(r.err.split("\n").filter(Boolean).length, 1, r.err);
      assert.match(r.err.trimEnd(), re);
    }
  });
});
