// budgetkv's side of the bench page (bench.html): a module Worker, so threads can run.
//   {type: "load", url, threads} -> {type: "loaded", threads, build, vocabSize}
//   {type: "prompt", text, n}    -> {type: "prompt", text}: the longest prefix of `text` (repeated as
//                                   needed) that tokenizes to exactly n tokens, BOS included
//   {type: "run", prompt, nGen}  -> {type: "ran", prefillTokS, decodeTokS, promptTokens, text}
//   {type: "dispose"}            -> {type: "disposed"};  failures -> {type: "error", message}
import { LLM } from "../dist/budgetkv.browser.mjs";

let llm;

// wllama takes text prompts only, so both engines get the same text, of exactly n tokens here
// (the page checks that wllama counts n too)
function promptOf(text, n) {
  let t = text;
  while (llm.promptTokens(t).length < n) t += " " + text;
  let lo = 1, hi = t.length;
  while (lo < hi) { // the longest prefix with at most n tokens
    const mid = (lo + hi + 1) >> 1;
    if (llm.promptTokens(t.slice(0, mid)).length <= n) lo = mid; else hi = mid - 1;
  }
  for (let l = lo; l > 0 && l > lo - 16; l--) {
    const p = t.slice(0, l).trimEnd();
    if (llm.promptTokens(p).length === n) return p;
  }
  throw new Error(`no prefix of the text tokenizes to exactly ${n} tokens`);
}

self.onmessage = async (e) => {
  const m = e.data;
  try {
    if (m.type === "load") {
      llm?.dispose();
      llm = await LLM.load(m.url, { threads: m.threads, contextSize: 256 });
      self.postMessage({ type: "loaded", threads: llm.threads, build: llm.rt.build, vocabSize: llm.config.vocabSize });
    } else if (m.type === "prompt") {
      self.postMessage({ type: "prompt", text: promptOf(m.text, m.n) });
    } else if (m.type === "run") {
      const r = await llm.complete(m.prompt, { temperature: 0, maxTokens: m.nGen, ignoreEos: true });
      self.postMessage({ type: "ran", prefillTokS: r.stats.prefillTokS, decodeTokS: r.stats.decodeTokS, promptTokens: r.promptTokens.length, tokens: r.tokens, text: r.text });
    } else if (m.type === "dispose") {
      llm?.dispose();
      llm = undefined;
      self.postMessage({ type: "disposed" });
    }
  } catch (err) {
    self.postMessage({ type: "error", message: String(err?.message ?? err) });
  }
};
