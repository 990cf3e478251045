// The demo page: picks a model, sends prompts to the generation worker (worker.js), streams
// the text and draws the KV cache per layer (rows kept against the full cache) as it changes.
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });

// models this server may have: the package's default model, then the test models
const CANDIDATES = [
  ["/models/budgetkv-stories-500k-q8_0.gguf", "budgetkv-stories-500k (the package's default model, Q8_0)"],
  ["/models/stories260K.gguf", "stories260K (in the repository)"],
  ["/shared/models/stories260K.gguf", "stories260K (GGUF F32)"],
  ["/shared/models/tinystories-656k-q8_0.gguf", "TinyStories-656K (GGUF Q8_0)"],
];

let model; // what the worker reported on "loaded"
let busy = false;

function setBusy(b) {
  busy = b;
  $("generate").disabled = b || !model;
  $("stop").disabled = !b;
  $("load").disabled = b;
}

function fmtBytes(n) {
  if (!(n >= 0)) return "–";
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

// Horizontal bars, one row per layer: the full cache's length behind the rows kept.
function drawChart(kept, seen) {
  const svg = $("chart");
  const row = 14, left = 52, width = svg.clientWidth || 600;
  const scale = (width - left - 70) / Math.max(1, seen);
  svg.setAttribute("height", String(kept.length * row + 4));
  svg.dataset.seen = String(seen);
  svg.dataset.layers = String(kept.length);
  const parts = [];
  kept.forEach((k, l) => {
    const y = l * row + 2;
    parts.push(`<text x="0" y="${y + 10}">layer ${l}</text>`);
    parts.push(`<rect class="full" x="${left}" y="${y}" width="${(seen * scale).toFixed(1)}" height="${row - 3}"/>`);
    parts.push(`<rect class="kept" data-layer="${l}" data-kept="${k}" data-full="${seen}" x="${left}" y="${y}" width="${(k * scale).toFixed(1)}" height="${row - 3}"/>`);
    parts.push(`<text x="${left + seen * scale + 4}" y="${y + 10}">${Number.isInteger(k) ? k : k.toFixed(1)} / ${seen}</text>`);
  });
  svg.innerHTML = parts.join("");
}

// One cached position of one layer: a key and a value row (f32) and its position (i32) per KV head.
const rowBytes = () => model.nKvHeads * (model.headDim * 8 + 4);

function onStep(m) {
  drawChart(m.kept, m.seen);
  const tps = $("tps");
  tps.dataset.value = String(m.tokS);
  tps.textContent = m.tokS > 0 ? `${m.tokS.toFixed(1)} tok/s` : "– tok/s";
  // what a full cache of m.seen positions would hold, against the rows kept
  const full = m.kept.length * m.seen * rowBytes();
  const saved = m.kept.reduce((a, k) => a + (m.seen - k), 0) * rowBytes();
  const s = $("kv-saved");
  s.dataset.bytes = String(saved);
  s.dataset.full = String(full);
  s.textContent = `KV saved: ${fmtBytes(saved)} of ${fmtBytes(full)}`;
  const mean = m.kept.reduce((a, k) => a + k, 0) / m.kept.length;
  $("kv-kept").textContent = `${((100 * mean) / Math.max(1, m.seen)).toFixed(0)} % of ${m.seen} positions kept; the store holds ${fmtBytes(m.bytesNow)} (measured, with room to grow)`;
}

worker.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case "ready": {
      const c = m.capabilities;
      const caps = $("caps");
      caps.dataset.state = c.threads > 1 ? "threads" : "single";
      caps.dataset.threads = String(c.threads);
      caps.dataset.build = c.build;
      caps.textContent = `Kernels: ${c.build} (SIMD ${c.simd ? "yes" : "no"}, relaxed SIMD ${c.relaxedSimd ? "yes" : "no"}); ` +
        `${c.crossOriginIsolated ? "cross-origin isolated" : "not cross-origin isolated"}: up to ${c.threads} thread${c.threads > 1 ? "s" : ""}.`;
      const sel = $("policy");
      for (const p of m.policies) sel.add(new Option(p.name, p.name));
      sel.value = "dbudget";
      sel.onchange = updateOptions;
      updateOptions();
      break;
    }
    case "progress":
      $("load-progress").value = m.total ? m.loaded / m.total : 0;
      break;
    case "loaded":
      model = m;
      $("load-progress").value = 1;
      $("model-info").dataset.state = "loaded";
      $("model-info").dataset.threads = String(m.threads);
      $("model-info").textContent = `${m.name}: ${m.arch}, ${m.nLayers} layers, vocabulary ${m.vocabSize}, context ${m.contextSize}; ` +
        `${m.threads} thread${m.threads > 1 ? "s" : ""}, ${m.build} kernels; loaded in ${m.loadMs.toFixed(0)} ms.`;
      setBusy(false);
      break;
    case "piece":
      $("output").textContent += m.text;
      break;
    case "step":
      onStep(m);
      break;
    case "done": {
      const r = m.result, out = $("output");
      out.dataset.state = r.finishReason === "abort" ? "stopped" : "done";
      out.dataset.finish = r.finishReason;
      out.dataset.tokens = JSON.stringify(r.tokens);
      out.dataset.kv = JSON.stringify(r.kv ?? null);
      if (r.afterStop !== undefined) out.dataset.afterStop = String(r.afterStop);
      $("figures").dataset.prefillTokS = String(r.stats.prefillTokS);
      $("figures").dataset.decodeTokS = String(r.stats.decodeTokS);
      $("tps").textContent = `prefill ${r.stats.prefillTokS.toFixed(0)} tok/s, decode ${r.stats.decodeTokS.toFixed(1)} tok/s (${r.stats.generatedTokens} tokens, ${r.finishReason})`;
      $("tps").dataset.value = String(r.stats.decodeTokS);
      setBusy(false);
      break;
    }
    case "error":
      $("output").dataset.state = "error";
      $("model-info").dataset.state = model ? "loaded" : "error";
      $("output").textContent += `\n[error] ${m.message}`;
      setBusy(false);
      break;
  }
};
worker.onerror = (e) => { $("output").dataset.state = "error"; $("output").textContent = `[worker failed] ${e.message}`; };

// tolerance for adaptive policies, keep ratio for fixed-budget ones
function updateOptions() {
  const name = $("policy").value;
  $("tolerance").parentElement.hidden = !["dbudget", "nucleus"].includes(name);
  $("ratio").parentElement.hidden = ["full", "dbudget", "nucleus"].includes(name);
  $("phase").parentElement.hidden = name === "full";
}

function kvOptions() {
  const policy = $("policy").value;
  if (policy === "full") return { policy };
  const when = $("phase").value === "both" ? { phase: "both", interval: 32 } : {};
  if (["dbudget", "nucleus"].includes(policy)) return { policy, tolerance: Number($("tolerance").value), ...when };
  return { policy, ratio: Number($("ratio").value), ...when };
}

$("load").onclick = () => {
  const file = $("model-file").files[0];
  const url = $("model-url").value.trim();
  const source = file ?? (url || $("model-select").value);
  if (!source) return;
  model = undefined;
  $("model-info").dataset.state = "loading";
  $("model-info").textContent = `Loading ${file ? file.name : source}…`;
  setBusy(true);
  $("stop").disabled = true;
  const t = $("threads").value;
  worker.postMessage({ type: "load", source, threads: t === "auto" ? "auto" : Number(t) });
};

$("generate").onclick = () => {
  if (busy || !model) return;
  $("output").textContent = "";
  $("output").dataset.state = "running";
  setBusy(true);
  worker.postMessage({
    type: "generate", prompt: $("prompt").value, maxTokens: Number($("max-tokens").value),
    temperature: Number($("temperature").value), kv: kvOptions(),
  });
};

$("stop").onclick = () => worker.postMessage({ type: "stop" });

// offer the models this server has
(async () => {
  const sel = $("model-select");
  for (const [url, label] of CANDIDATES) {
    const res = await fetch(url, { method: "HEAD" }).catch(() => undefined);
    if (res?.ok) sel.add(new Option(label, url));
  }
  if (!sel.options.length) sel.add(new Option("(none here: give a URL or a file)", ""));
  sel.dataset.count = String(sel.options.length);
})();
