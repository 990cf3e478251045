// The demo's generation worker: loads a model with budgetkv and generates, posting each piece
// of text and, after every token, the KV cache per layer, so the page stays responsive.
// Messages in:  {type: "load", source: URL string | File, threads, build}
//               {type: "generate", prompt, maxTokens, temperature, kv: {policy, tolerance?}}
//               {type: "stop"}
// Messages out: {type: "ready", capabilities, policies}, {type: "progress", stage, loaded, total},
//               {type: "loaded", ...}, {type: "piece", text}, {type: "step", ...},
//               {type: "done", result}, {type: "error", message}
import { LLM, POLICIES, capabilities } from "../dist/budgetkv.browser.mjs";

let llm;
let abort;
let generated = 0;  // tokens of the running generation so far
let stopAt = -1;    // `generated` when the stop message arrived

// one macrotask: lets a queued "stop" message run between two tokens (no 4 ms timer clamp)
const yieldChannel = new MessageChannel();
let yieldResolve;
yieldChannel.port1.onmessage = () => yieldResolve?.();
const yieldTask = () => new Promise((r) => { yieldResolve = r; yieldChannel.port2.postMessage(0); });

const post = (m) => self.postMessage(m);
const errorText = (e) => (e && e.message) || String(e);

// policies with an adaptive tolerance or a fixed ratio, for the page's options
function policyList() {
  return [...POLICIES.entries()].map(([name, f]) => ({ name, options: Object.keys(f.options) }));
}

async function load({ source, threads, build }) {
  llm?.dispose();
  llm = undefined;
  const t0 = performance.now();
  llm = await LLM.load(source, {
    threads: threads ?? "auto",
    build: build ?? "auto",
    contextSize: 512,
    onProgress: (p) => post({ type: "progress", ...p }),
  });
  const c = llm.config;
  post({
    type: "loaded", name: llm.file.name, arch: c.arch, nLayers: c.nLayers, nKvHeads: c.nKvHeads, headDim: c.headDim,
    vocabSize: c.vocabSize, contextSize: llm.contextSize, threads: llm.threads, build: llm.rt.build, loadMs: performance.now() - t0,
  });
}

async function generate({ prompt, maxTokens, temperature, kv }) {
  if (!llm) throw new Error("no model is loaded");
  abort = new AbortController();
  generated = 0;
  stopAt = -1;
  let tDecode = performance.now();
  const gen = llm.generate(prompt, {
    maxTokens, temperature, kv, signal: abort.signal,
    onStep: (s) => {
      if (s.generated === 0) tDecode = performance.now();
      generated = s.generated;
      const layers = s.layers();
      const dt = (performance.now() - tDecode) / 1000;
      post({
        type: "step", generated: s.generated, seen: s.seen,
        kept: layers.map((l) => l.kept), bytesNow: layers.reduce((a, l) => a + l.bytes, 0),
        tokS: s.generated > 0 && dt > 0 ? s.generated / dt : 0,
      });
      return yieldTask();
    },
  });
  for await (const piece of gen) post({ type: "piece", text: piece });
  const r = await gen.result;
  abort = undefined;
  // tokens generated after the stop message arrived (the Stop button's latency, in tokens)
  const afterStop = stopAt >= 0 ? r.tokens.length - stopAt : undefined;
  post({ type: "done", result: { text: r.text, tokens: r.tokens, promptTokens: r.promptTokens, finishReason: r.finishReason, stats: r.stats, kv: r.kv, afterStop } });
}

self.onmessage = async (e) => {
  const m = e.data;
  if (m.type === "stop") { if (abort && stopAt < 0) stopAt = generated; abort?.abort(); return; }
  try {
    if (m.type === "load") await load(m);
    else if (m.type === "generate") await generate(m);
    else throw new Error(`unknown message ${m.type}`);
  } catch (err) {
    abort = undefined;
    post({ type: "error", message: errorText(err) });
  }
};

post({ type: "ready", capabilities: capabilities(), policies: policyList() });
