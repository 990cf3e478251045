// One greedy generation, run unchanged in Node, Deno and Chromium (page or worker) by the
// three-runtime test (tests/runtimes-same.test.ts). Plain JavaScript with no imports: the
// caller passes the library's LLM class and a model source its runtime can open.
//   case: { id, source, prompt, maxTokens, build ("auto" | "simd" | "relaxed"), threads }
//   -> { id, build, threads, tokens, logitsBits (the final logits' f32 bits, as uint32) }

export async function runCase(LLM, c) {
  const llm = await LLM.load(c.source, { build: c.build, threads: c.threads, contextSize: 256, maxChunk: 16 });
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
