// One greedy generation, run unchanged in Node, Deno and Chromium (page or worker) by the
// three-runtime test (tests/runtimes-same.test.ts). Plain JavaScript with no imports: the
// caller passes the library's LLM class and a model source its runtime can open.
//   case: { id, source, tokenizer? (llama2.c models), prompt, maxTokens, build ("auto" | "simd" | "relaxed"), threads }
//   -> { id, build, threads, tokens, logitsBits (the final logits' f32 bits, as uint32) }

export async function runCase(LLM, c) {
  const llm = await LLM.load(c.source, { build: c.build, threads: c.threads, contextSize: 256, maxChunk: 16, tokenizer: c.tokenizer });
  try {
    const r = await llm.complete(c.prompt, { temperature: 0, maxTokens: c.maxTokens });
    const logits = llm.engine.model.logits.toFloat32Array();
    return {
      id: c.id, build: llm.rt.build, threads: llm.threads, tokens: r.tokens,
      logitsBits: Array.from(new Uint32Array(logits.buffer, logits.byteOffset, logits.length)),
    };
  } finally {
    llm.dispose();
  }
}

export async function runCases(LLM, cases) {
  const out = [];
  for (const c of cases) out.push(await runCase(LLM, c));
  return out;
}

// A chat session saved mid-conversation and restored (tests/browser-session.test.ts):
//   case: { id, source, kv, turns: [text], saveAfter, maxTokens, build }
//   -> { id, build, kvType, never: tokens of turns saveAfter.. without saving, restored: the same
//        turns after save() and LLM.restore(), savedBytes }
export async function runSessionCase(LLM, c) {
  const llm = await LLM.load(c.source, { build: c.build, threads: 1, contextSize: 256, maxChunk: 16 });
  const opts = { temperature: 0, maxTokens: c.maxTokens };
  try {
    const s = llm.session({ kv: c.kv });
    for (const t of c.turns.slice(0, c.saveAfter)) await s.chat(t, opts);
    const bytes = await s.save();
    const never = [];
    for (const t of c.turns.slice(c.saveAfter)) never.push((await s.chat(t, opts)).tokens);
    s.dispose();
    const r = await llm.restore(bytes, { kv: { type: c.kv.type } });
    const restored = [];
    for (const t of c.turns.slice(c.saveAfter)) restored.push((await r.chat(t, opts)).tokens);
    const kvType = r.kv.type ?? "f32";
    r.dispose();
    return { id: c.id, build: llm.rt.build, kvType, never, restored, savedBytes: bytes.length };
  } finally {
    llm.dispose();
  }
}

export async function runSessionCases(LLM, cases) {
  const out = [];
  for (const c of cases) out.push(await runSessionCase(LLM, c));
  return out;
}
