// The command line, in process: output formats, and one clear error line for bad input.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.ts";
import { fixturePath, needFiles, sharedPath } from "./helpers/shared.ts";

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return cliWith({}, ...argv);
}

// with lines of input (a scripted chat), a Ctrl-C after the first streamed piece of the turn `interruptAt`
async function cliWith(o: { lines?: string[]; interruptAt?: number }, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "", turn = -1, fired = false;
  let handler: (() => void) | undefined;
  const code = await main(argv, {
    out: (s) => {
      out += s;
      if (turn === o.interruptAt && !fired && s.trim()) { fired = true; handler?.(); }
    },
    err: (s) => { err += s; },
    readText: async (p) => readFileSync(p, "utf8"),
    lines: o.lines ? async function* () { for (const l of o.lines!) { turn++; yield l; } } : undefined,
    onInterrupt: (h) => { handler = h; return () => { handler = undefined; }; },
  });
  return { code, out, err };
}

const MODEL = sharedPath("models", "stories260K.bin");
const need = needFiles("models/stories260K.bin", "models/tok512.bin");

describe("budgetkv chat", { skip: need }, () => {
  it("lines are turns of one session: each prefills only its new tokens; Ctrl-C ends a reply, not the chat", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bkv-chat-"));
    writeFileSync(join(dir, "first.txt"), "Lily went to the park.");
    const r = await cliWith({ lines: [" She saw a dog.", "", " The dog ran.", " The end.", "/exit", " never sent"], interruptAt: 2 },
      "chat", "-m", MODEL, "-f", join(dir, "first.txt"), "-sys", "A story.", "-n", "200", "--temp", "0", "--kv-policy", "streaming", "--kv-budget", "32", "--kv-phase", "turn");
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /no chat template, plain text turns/);
    const turns = [...r.err.matchAll(/budgetkv: (\d+) new tokens prefilled, (\d+) generated; cache (\d+) rows, \d+ bytes, (\d+) positions/g)];
    assert.equal(turns.length, 4, r.err);   // the file, then three lines (the empty one and /exit are not turns)
    assert.match(r.err, /\[reply ended\]/);       // the third turn was interrupted
    let pos = 0;
    for (const t of turns) {
      assert.ok(Number(t[1]) < 30, `a turn prefilled ${t[1]} tokens: only its own`);
      assert.ok(Number(t[3]) <= 32 + 200 + 30, `cache rows ${t[3]}`);
      assert.ok(Number(t[4]) > pos);
      pos = Number(t[4]);
    }
  });

  it("bad flags and files are one error line", async () => {
    const oneLine = (r: { code: number; err: string }, code: number, re: RegExp) => {
      assert.equal(r.code, code, r.err);
      assert.equal(r.err.trim().split("\n").length, 1, `expected one line, got: ${r.err}`);
      assert.match(r.err, re);
    };
    oneLine(await cliWith({ lines: [] }, "chat", "-m", MODEL, "-f", "/nonexistent/prompt.txt"), 2, /-f \/nonexistent\/prompt.txt: .*no such file/i);
    oneLine(await cliWith({ lines: [] }, "chat", "-m", MODEL, "--kv-phase", "never"), 1, /--kv-phase "never": expected prefill, turn, decode, both/);
  });
});

describe("budgetkv run", { skip: need }, () => {
  it("--json prints one object with llama2.c's greedy tokens and the stats fields", async () => {
    const fx = JSON.parse(readFileSync(fixturePath("llama2c-stories260k.json"), "utf8"));
    const c = fx.cases[1]; // "Once upon a time", run.c -n 128
    const r = await cli("run", "-m", MODEL, "-p", c.prompt, "-n", String(c.steps - c.prompt_ids.length + 1), "--temp", "0", "--json");
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(j.prompt_tokens, c.prompt_ids);
    assert.deepEqual(j.tokens, c.generated_ids);
    assert.equal(j.finish_reason, "length");
    for (const k of ["load_ms", "prefill_ms", "prefill_tok_s", "decode_ms", "decode_tok_s"]) assert.equal(typeof j.stats[k], "number", k);
    assert.equal(j.kv.policy, "full");
    assert.equal(j.kv.kept_ratio, 1);
  });

  it("streams text, then llama.cpp-style timing lines on stderr", async () => {
    const r = await cli("run", "-m", MODEL, "-n", "24", "--temp", "0");
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.startsWith("Once upon a time, there was a little girl named Lily."), r.out);
    assert.match(r.err, /prompt eval time = .* ms \/ 1 tokens \(.* ms per token, .* tokens per second\)/);
    // 24 tokens sampled, 23 forward passes: the last sampled token is never run
    assert.match(r.err, /eval time = .* ms \/ 23 runs/);
  });

  it("--kv-policy adds the kv report: kept per layer, kept ratio, measured bytes", async () => {
    const prompt = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";
    const r = await cli("run", "-m", MODEL, "-p", prompt, "-n", "8", "--temp", "0", "--json", "--kv-policy", "streaming", "--kv-ratio", "0.5");
    assert.equal(r.code, 0, r.err);
    const kv = JSON.parse(r.out).kv;
    assert.equal(kv.policy, "streaming");
    assert.equal(kv.kept_per_layer.length, 5);
    assert.ok(Math.abs(kv.kept_ratio - 0.5) < 0.02);
    assert.ok(kv.bytes_kept < kv.bytes_full);
    assert.equal(typeof kv.prune_ms, "number");
  });

  it("sampling with a seed is reproducible", async () => {
    const a = await cli("run", "-m", MODEL, "-n", "32", "-s", "42", "--temp", "1", "--json");
    const b = await cli("run", "-m", MODEL, "-n", "32", "-s", "42", "--temp", "1", "--json");
    const c = await cli("run", "-m", MODEL, "-n", "32", "-s", "43", "--temp", "1", "--json");
    assert.deepEqual(JSON.parse(a.out).tokens, JSON.parse(b.out).tokens);
    assert.notDeepEqual(JSON.parse(a.out).tokens, JSON.parse(c.out).tokens);
  });
});

describe("budgetkv run on every model in shared/models", () => {
  const models = ["stories260K.bin", "stories260K.gguf", "tinystories-656k", "tinystories-656k-q8_0.gguf", "llama-2-tiny-random.gguf", "babyllama-tok105/model5000.bin"];
  for (const m of models) {
    it(m, { skip: needFiles(`models/${m}`) }, async () => {
      const r = await cli("run", "-m", sharedPath("models", m), "-p", "Once upon a time", "-n", "6", "--temp", "0", "--json");
      assert.equal(r.code, 0, r.err);
      const j = JSON.parse(r.out);
      assert.equal(j.tokens.length, 6);
      assert.ok(j.prompt_tokens.length >= 2);
    });
  }
});

describe("bad input gives one clear error line", () => {
  const oneLine = (r: { code: number; err: string; out: string }, code: number, re: RegExp) => {
    assert.equal(r.code, code, r.err);
    assert.equal(r.err.trim().split("\n").length, 1, `expected one line, got: ${r.err}`);
    assert.match(r.err, re);
    assert.doesNotMatch(r.err, /\n\s+at /);
  };

  it("usage errors", async () => {
    oneLine(await cli("run", "stray"), 2, /^budgetkv: error: unexpected argument "stray"/);
    oneLine(await cli("run", "-m", MODEL, "--bogus"), 2, /unknown flag --bogus/);
    oneLine(await cli("run", "-m", MODEL, "--temp", "hot"), 2, /flag --temp: "hot" is not a number/);
    oneLine(await cli("run", "-m", MODEL, "-n"), 2, /flag -n needs a value/);
    oneLine(await cli("frobnicate"), 2, /unknown command "frobnicate"/);
  });

  it("a missing file names the path", async () => {
    oneLine(await cli("run", "-m", "/nonexistent/model.gguf"), 1, /\/nonexistent\/model.gguf/);
  });

  it("invalid options, a prompt longer than the context, an unknown KV policy", { skip: need }, async () => {
    oneLine(await cli("run", "-m", MODEL, "--top-p", "2"), 1, /--top-p 2: must be in \(0, 1\]/);
    oneLine(await cli("run", "-m", MODEL, "-c", "0"), 2, /-c 0: the context size must be at least 1/);
    oneLine(await cli("run", "-m", MODEL, "-c", "8", "-p", "Once upon a time there was a big dog"), 1, /the prompt is \d+ tokens, longer than the context size 8/);
    oneLine(await cli("run", "-m", MODEL, "--kv-policy", "magic"), 1, /--kv-policy "magic": unknown KV policy/);
    oneLine(await cli("run", "-m", MODEL, "--kv-policy", "snapkv", "--kv-tolerance", "0.1"), 1, /--kv-tolerance 0.1: KV policy "snapkv" has no such option/);
    oneLine(await cli("run", "-m", MODEL, "--kv-policy", "streaming", "--kv-phase", "later"), 1, /--kv-phase "later"/);
    oneLine(await cli("run", "-m", MODEL, "--kv-residual", "16"), 1, /--kv-residual 16: a residual window is for KV type q8_0, not f32/);
    oneLine(await cli("run", "-m", MODEL, "--kv-type", "q8_0", "--kv-residual", "-3"), 1, /--kv-residual -3: expected an integer in \[0, 4096\]/);
  });

  it("truncated and corrupt model files", { skip: needFiles("models/stories260K.gguf", "models/stories260K.bin") }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "budgetkv-cli-"));
    const gguf = readFileSync(sharedPath("models", "stories260K.gguf"));
    const bin = readFileSync(sharedPath("models", "stories260K.bin"));
    const cases: [string, Uint8Array, RegExp][] = [
      ["cut.gguf", gguf.subarray(0, 20000), /cut.gguf: .*(truncated|past the end)/],
      ["head.gguf", gguf.subarray(0, 100), /head.gguf: tensor_count = 48: more tensors than a 100-byte file can hold/],
      ["cut.bin", bin.subarray(0, 500000), /cut.bin: .*size/],
      ["junk.gguf", new Uint8Array(4096).fill(7), /junk.gguf/],
    ];
    for (const [name, bytes, re] of cases) {
      writeFileSync(join(dir, name), bytes);
      oneLine(await cli("run", "-m", join(dir, name), "-n", "4"), 1, re);
    }
    const flipped = Uint8Array.from(gguf);
    flipped.set([0xff, 0xff, 0xff, 0x7f], 16); // metadata_kv_count
    writeFileSync(join(dir, "count.gguf"), flipped);
    oneLine(await cli("inspect", join(dir, "count.gguf")), 1, /metadata_kv_count/);
  });
});

describe("budgetkv inspect", { skip: needFiles("models/tinystories-656k-q8_0.gguf") }, () => {
  it("prints architecture, shapes, tensor types and tokenizer", async () => {
    const r = await cli("inspect", sharedPath("models", "tinystories-656k-q8_0.gguf"));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /architecture llama/);
    assert.match(r.out, /dim 128, ffn 384, layers 2, heads 8 \(kv 4, head_dim 16\), vocab 2048/);
    assert.match(r.out, /tensors: 20 \(5 f32, 15 q8_0\)/);
    assert.match(r.out, /tokenizer: spm, 2048 tokens, bos 1, eos 2/);
  });
});

describe("budgetkv eval", { skip: need }, () => {
  it("--json has one entry per policy and budget with the required fields; --svg draws them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "budgetkv-eval-"));
    const svg = join(dir, "tradeoff.svg");
    const r = await cli("eval", "-m", MODEL, "--data", sharedPath("data", "tinystories_val.txt"), "--prompts", "4",
      "--prompt-tokens", "96-160", "--gen-tokens", "8", "--cont-tokens", "8",
      "--policies", "full,dbudget,nucleus:0.01,streaming:0.5,0.8,snapkv:0.5,0.8", "--json", "--svg", svg);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(j.policies.map((p: { name: string }) => p.name), ["full", "dbudget:0.01", "nucleus:0.01", "streaming:0.5", "streaming:0.8", "snapkv:0.5", "snapkv:0.8"]);
    for (const p of j.policies) {
      for (const k of ["kept_ratio", "top1_agreement", "kl_mean", "kl_max", "greedy_identical", "ppl", "ppl_full"]) assert.equal(typeof p[k], "number", `${p.name}.${k}`);
    }
    const full = j.policies[0];
    assert.equal(full.kept_ratio, 1);
    assert.equal(full.top1_agreement, 1);
    assert.equal(full.kl_max, 0);
    assert.ok(Math.abs(full.ppl - full.ppl_full) <= 1e-9 * full.ppl_full, `${full.ppl} vs ${full.ppl_full}`); // same terms, another summation order
    assert.ok(j.policies[1].vs_curve && "streaming" in j.policies[1].vs_curve);
    const text = readFileSync(svg, "utf8");
    assert.match(text, /^<svg/);
    assert.match(text, /nucleus:0.01/);
  });

  it("--task retrieval builds fact-then-question prompts and reports retrieval accuracy", async () => {
    const r = await cli("eval", "-m", MODEL, "--data", sharedPath("data", "tinystories_val.txt"), "--task", "retrieval", "--prompts", "2",
      "--prompt-tokens", "60", "--gen-tokens", "4", "--cont-tokens", "4", "--policies", "full,streaming:0.5", "--json");
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.task, "retrieval");
    for (const p of j.policies) assert.ok(p.retrieval_accuracy >= 0 && p.retrieval_accuracy <= 1, `${p.name}: ${p.retrieval_accuracy}`);
  });

  it("rejects a bad policy list", async () => {
    const r = await cli("eval", "-m", MODEL, "--data", sharedPath("data", "tinystories_val.txt"), "--policies", "0.5,snapkv");
    assert.equal(r.code, 2);
    assert.match(r.err, /"0.5" has no policy before it/);
  });
});
