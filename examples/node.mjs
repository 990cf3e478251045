// npm install budgetkv, then: node node.mjs
import { LLM } from "budgetkv";

// no source: the model shipped in the package (budgetkv-stories-500k); or LLM.load("model.gguf", { threads: 2 })
const llm = await LLM.load();
const prompt = "Once upon a time";
process.stdout.write(prompt);
for await (const piece of llm.generate(prompt, { maxTokens: 40, temperature: 0 })) {
  process.stdout.write(piece);
}
const r = await llm.complete("Lily and Ben went to the park. They", { maxTokens: 24, temperature: 0, kv: { policy: "nucleus" } });
console.log(`\n${r.text}\n${r.tokens.length} tokens; the KV cache kept ${(100 * r.kv.keptRatio).toFixed(0)} % of the prompt`);
llm.dispose();
