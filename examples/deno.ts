// deno add npm:budgetkv (or npm install budgetkv), then: deno run --allow-read deno.ts
import { DEFAULT_MODEL, LLM, type GenerationResult } from "budgetkv";

const llm = await LLM.load(DEFAULT_MODEL.url, { contextSize: DEFAULT_MODEL.trainedContext });
const prompt = "Once upon a time";
const r: GenerationResult = await llm.complete(prompt, { maxTokens: 40, temperature: 0 });
console.log(`${DEFAULT_MODEL.name}: ${prompt}${r.text}`);
console.log(`${r.tokens.length} tokens at ${r.stats.decodeTokS.toFixed(0)} tokens/s, finished by ${r.finishReason}`);
llm.dispose();
