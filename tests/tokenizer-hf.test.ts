// tokenizer.json through @huggingface/tokenizers (TinyStories-656K), and chat templates.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Tokenizer as LibTokenizer } from "@huggingface/tokenizers";
import { needFiles, sharedPath } from "./helpers/shared.ts";
import { applyChatTemplate, tokenizerFromHF } from "../src/tokenizer/index.ts";
import { cachedTemplateCount } from "../src/tokenizer/chat.ts";
import type { Tokenizer } from "../src/tokenizer/types.ts";

const DIR = "models/tinystories-656k";
const readJson = (name: string) => JSON.parse(readFileSync(sharedPath(DIR, name), "utf8"));

let cached: Tokenizer | undefined;
const load = () => (cached ??= tokenizerFromHF(readFileSync(sharedPath(DIR, "tokenizer.json"), "utf8"), readJson("tokenizer_config.json")));

function paragraphs(n: number): string[] {
  const text = readFileSync(sharedPath("data", "tinystories_val.txt"), "utf8");
  return text.split(/\n\n+/).filter((p) => p.length > 0).slice(0, n);
}

describe("tokenizer.json: TinyStories-656K", { skip: needFiles(`${DIR}/tokenizer.json`, `${DIR}/tokenizer_config.json`, "data/tinystories_val.txt") }, () => {
  it("takes BOS/EOS from tokenizer_config.json", () => {
    const t = load();
    assert.equal(t.kind, "hf");
    assert.equal(t.vocabSize, 2048);
    assert.equal(t.bos, 1);
    assert.deepEqual(t.eos, [2]);
    assert.equal(t.addBos, true);
    assert.equal(t.piece(1), "<|start_story|>");
  });

  it("hand-checked encodings", () => {
    const t = load();
    // normalizer: prepend "▁", spaces -> "▁"; no pre-tokenizer, so merges span words:
    // "▁Once▁upon▁a▁time" -> ▁ | On | ce▁ | upon▁a▁tim | e (no merge makes "▁On" or "▁Once")
    const ids = t.encode("Once upon a time");
    assert.deepEqual(ids, [1, 80, 147, 201, 282, 57]);
    assert.deepEqual(ids.map((i) => t.piece(i)), ["<|start_story|>", "\u2581", "On", "ce\u2581", "upon\u2581a\u2581tim", "e"]);
    assert.deepEqual(t.encode("Lily and Ben", { addBos: false }).map((i) => t.piece(i)), ["\u2581", "Lily\u2581and\u2581", "Ben"]);
    assert.deepEqual(t.encode("The end.\nThe cat.", { addBos: false }).map((i) => t.piece(i)), ["\u2581", "The\u2581", "end", ".\nThe\u2581", "cat", "."]);
    // byte_fallback is on but the vocabulary has no <0x..> tokens: unknown characters are <unk>
    assert.deepEqual(t.encode("é", { addBos: false }), [80, 0]);
    assert.deepEqual(t.encode(""), [1]);
    assert.deepEqual(t.encode("", { addBos: false }), []);
    assert.deepEqual(t.encode("  ", { addBos: false }).map((i) => t.piece(i)), ["\u2581", "\u2581", "\u2581"]);
  });

  it("parses special tokens only with parseSpecial", () => {
    const t = load();
    // added tokens are normalized (prepend ▁), so the library matches "▁<|start_story|>" at the start
    assert.deepEqual(t.encode("<|start_story|>Hi", { addBos: false, parseSpecial: true }), [1, 1158]);
    const plain = t.encode("<|start_story|>Hi", { addBos: false });
    assert.ok(!plain.includes(1), JSON.stringify(plain));
    assert.equal(t.decode(plain), "<|start_story|>Hi");
  });

  it("round-trips TinyStories paragraphs; the streaming decoder gives the same text", () => {
    const t = load();
    for (const p of paragraphs(300)) {
      const ids = t.encode(p);
      assert.equal(t.decode(ids), p);
      const d = t.decoder();
      assert.equal(ids.map((id) => d.push(id)).join("") + d.flush(), p);
    }
    assert.equal(t.decode([1, 80, 147, 201, 282, 57], { skipSpecial: false }), "<|start_story|> Once upon a time");
  });

  it("long texts: the chunked BPE gives exactly the library's BPE", () => {
    const json = readJson("tokenizer.json");
    const lib = new LibTokenizer(json, readJson("tokenizer_config.json"));
    const text = readFileSync(sharedPath("data", "tinystories_val.txt"), "utf8").slice(50_000, 62_000);
    const want = lib.encode(text, { add_special_tokens: false }).ids;
    assert.deepEqual(load().encode(text, { addBos: false }), want);
  });

  it("BOS from the post-processor when tokenizer_config.json is absent", () => {
    const t = tokenizerFromHF(readJson("tokenizer.json"));
    assert.equal(t.bos, 1);
    assert.equal(t.addBos, true);
    assert.deepEqual(t.encode("Once upon a time"), [1, 80, 147, 201, 282, 57]);
  });
});

describe("chat templates", () => {
  const CHATML = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  it("renders a ChatML conversation with and without the generation prompt", () => {
    const msgs = [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi!" }];
    assert.equal(applyChatTemplate(CHATML, msgs, { add_generation_prompt: true }),
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
    assert.equal(applyChatTemplate(CHATML, msgs), "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n");
  });

  it("passes bos_token / eos_token to the template", () => {
    const tmpl = "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}";
    assert.equal(applyChatTemplate(tmpl, [{ role: "user", content: "x" }], { bos_token: "<s>", eos_token: "</s>" }), "<s>[user] x</s>");
  });

  it("keeps a bounded number of parsed templates (templates come from model files)", () => {
    const msgs = [{ role: "user", content: "x" }];
    for (let i = 0; i < 50; i++) assert.equal(applyChatTemplate(`${i}:{{ messages[0].content }}`, msgs), `${i}:x`);
    assert.ok(cachedTemplateCount() <= 8, `${cachedTemplateCount()} templates cached`);
    // the most recent ones are still served, and an evicted one parses again
    assert.equal(applyChatTemplate("49:{{ messages[0].content }}", msgs), "49:x");
    assert.equal(applyChatTemplate("0:{{ messages[0].content }}", msgs), "0:x");
  });
});
