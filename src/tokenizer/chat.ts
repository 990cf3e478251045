// Chat templates (the Jinja "chat_template" of tokenizer_config.json or tokenizer.chat_template
// of a GGUF) rendered with @huggingface/jinja, the engine transformers.js uses.
import { Template } from "@huggingface/jinja";

export interface ChatMessage {
  role: string;      // "system" | "user" | "assistant" | ...
  content: string;
}

export interface ChatTemplateOptions {
  bos_token?: string;
  eos_token?: string;
  add_generation_prompt?: boolean;
  [extra: string]: unknown;   // passed through to the template (e.g. tools, date strings)
}

// parsed templates, keyed by their text (which comes from model files): the most recently used
// CACHED_TEMPLATES, so that a process loading many models does not keep every template it saw
const CACHED_TEMPLATES = 8;
const cache = new Map<string, Template>();

// Renders the conversation to the prompt text. Encode it with parseSpecial: true so that the
// template's control tokens (<|im_start|>, <s>, ...) become their ids.
export function applyChatTemplate(template: string, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  let t = cache.get(template);
  if (t) cache.delete(template);   // re-inserted below: Map order is recency order
  else t = new Template(template);
  cache.set(template, t);
  if (cache.size > CACHED_TEMPLATES) cache.delete(cache.keys().next().value!);
  return t.render({ bos_token: "", eos_token: "", add_generation_prompt: false, ...opts, messages: messages.map((m) => ({ ...m })) });
}

// templates held parsed now (at most CACHED_TEMPLATES), for the test that says so
export function cachedTemplateCount(): number {
  return cache.size;
}
