// deno add npm:budgetkv (or npm install budgetkv), then: deno run --allow-read deno.ts
import { DEFAULT_MODEL, LLM, type GenerationResult } from "budgetkv";

const llm = await LLM.load(DEFAULT_MODEL.url, { contextSize: DEFAULT_MODEL.trainedContext });
const r: GenerationResult = await llm.complete("Once upon a time", { maxTokens: 40, temperature: 0 });
console.log(`${DEFAULT_MODEL.name}: ${r.text}`);
console.log(`${r.stats.decodeTokS.toFixed(0)} tokens/s, finished by ${r.finishReason}`);
llm.dispose();
