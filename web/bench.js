// The bench page: one case = one GGUF file at one thread count, run by budgetkv (in
// bench-worker.js) and by @wllama/wllama (llama.cpp in WebAssembly, its wasm from the npm
// package), `reps` times each, alternating which engine goes first. Each engine's answer is
// checked before its times count: nGen in-vocabulary tokens; the two engines' greedy tokens are
// compared and the length of their common prefix reported.
import { Wllama } from "/node_modules/@wllama/wllama/esm/index.js";

const WLLAMA_WASM = { default: "/node_modules/@wllama/wllama/esm/wasm/wllama.wasm" };
const quiet = { debug() {}, log() {}, info() {}, warn: console.warn, error: console.error };

function budgetkv() {
  const w = new Worker(new URL("./bench-worker.js", import.meta.url), { type: "module" });
  const call = (m) => new Promise((ok, fail) => {
    w.onmessage = (e) => (e.data.type === "error" ? fail(new Error(e.data.message)) : ok(e.data));
    w.onerror = (e) => fail(new Error(e.message || "bench worker failed"));
    w.postMessage(m);
  });
  return {
    name: "budgetkv",
    async load(url, threads) { const r = await call({ type: "load", url, threads }); return { threads: r.threads, note: `${r.build} kernels` }; },
    async prompt(text, n) { return (await call({ type: "prompt", text, n })).text; },
    async run(prompt, nGen) {
      const r = await call({ type: "run", prompt, nGen });
      if (r.promptTokens !== nPromptWanted) throw new Error(`budgetkv read ${r.promptTokens} prompt tokens, not ${nPromptWanted}`);
      return r;
    },
    async close() { await call({ type: "dispose" }).catch(() => {}); w.terminate(); },
  };
}

function wllama() {
  let wl;
  return {
    name: "wllama",
    async load(url, threads) {
      wl = new Wllama(WLLAMA_WASM, { logger: quiet, suppressNativeLog: true, allowOffline: false });
      await wl.loadModelFromUrl(new URL(url, location.href).href, { n_threads: threads, n_ctx: 256, n_batch: 256, n_ubatch: 256, warmup: false, useCache: false });
      return { threads: wl.getNumThreads(), note: wl.isMultithread() ? "multi-thread build" : "single-thread build" };
    },
    // (wllama 3.13 fails on a prompt of token ids: "Invalid typed array length"; text it is)
    async run(prompt, nGen) {
      const r = await wl.createCompletion({ prompt, max_tokens: nGen, temperature: 0, ignore_eos: true, cache_prompt: false });
      const t = r.timings;
      if (!t) throw new Error("wllama returned no timings");
      if (t.prompt_n !== nPromptWanted) throw new Error(`wllama read ${t.prompt_n} prompt tokens, not ${nPromptWanted}`);
      // llama.cpp's server counts predicted_n tokens over the time from sampling the first to the
      // last, which is predicted_n - 1 forward passes; budgetkv's decodeTokS counts passes too
      const passes = t.predicted_n - 1;
      return { prefillTokS: t.prompt_per_second, decodeTokS: passes > 0 ? t.predicted_per_second * passes / t.predicted_n : 0, n: t.predicted_n, text: r.choices?.[0]?.text };
    },
    async close() { await wl?.exit().catch(() => {}); },
  };
}

let nPromptWanted = 0;

// the passage prompts are cut from (repeated as needed)
const PASSAGE = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. " +
  "One day, she saw a big, red ball under a tree. She ran to get it, but a small dog took the ball and ran away. Lily was sad, " +
  "so her mom helped her look for the dog. They found it near the pond, and the dog gave the ball back. Lily smiled and said thank you.";

function commonPrefix(a, b) {
  if (!a || !b) return undefined;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);

// { url, threads, reps, nPrompt, nGen } -> per-engine medians, every rep, and notes
window.benchCase = async ({ url, threads, reps, nPrompt, nGen }) => {
  document.getElementById("status").textContent = `running ${url}, ${threads} thread(s)`;
  nPromptWanted = nPrompt;
  const engines = [budgetkv(), wllama()];
  let prompt;
  const out = {};
  const loaded = [];
  for (const e of engines) {
    const row = (out[e.name] = { prefill: [], decode: [] });
    try {
      const info = await e.load(url, threads);
      row.threads = info.threads;
      row.note = info.note;
      prompt ??= await e.prompt(PASSAGE, nPrompt);
      // the answer first: nGen tokens from the same nPrompt-token prompt
      const check = await e.run(prompt, nGen);
      const n = check.tokens ? check.tokens.length : check.n;
      if (n !== nGen) throw new Error(`generated ${n} tokens, expected ${nGen}`);
      row.text = check.text;
      loaded.push(e);
    } catch (err) {
      row.error = String(err?.message ?? err);
    }
  }
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? loaded : [...loaded].reverse();
    for (const e of order) {
      try {
        const res = await e.run(prompt, nGen);
        out[e.name].prefill.push(res.prefillTokS);
        out[e.name].decode.push(res.decodeTokS);
      } catch (err) {
        out[e.name].error = String(err?.message ?? err);
      }
    }
  }
  for (const e of engines) await e.close();
  // how far the two greedy continuations agree, in characters (wllama returns text, not ids)
  const agree = commonPrefix(out.budgetkv.text, out.wllama.text);
  const result = { url, threads, agreeChars: agree, genChars: out.budgetkv.text?.length };
  for (const [name, row] of Object.entries(out)) {
    result[name] = { threads: row.threads, note: row.note, error: row.error, text: row.text?.slice(0, 120), prefill: median(row.prefill), decode: median(row.decode), prefillRuns: row.prefill, decodeRuns: row.decode };
    const tr = document.createElement("tr");
    tr.innerHTML = `<td>${url}</td><td>${threads}</td><td>${name}</td><td>${row.error ?? median(row.prefill).toFixed(1)}</td><td>${row.error ? "" : median(row.decode).toFixed(1)}</td>`;
    document.querySelector("#results tbody").append(tr);
  }
  document.getElementById("status").textContent = "ready";
  return result;
};
window.benchReady = true;
