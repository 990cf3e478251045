// JSON from model folders (config.json, tokenizer.json, safetensors headers, ...) parsed with a
// bound on size and nesting depth, so a hostile file gives one ModelFormatError naming it instead
// of a stack overflow (deep nesting overflows the stack in JSON.parse's callers and in the error
// messages that print a value) or an unbounded allocation.
import { ModelFormatError } from "./errors.ts";

export interface JsonLimits {
  maxBytes?: number;  // default 256 MiB
  maxDepth?: number;  // default 64: real configs and tokenizers nest under 10 levels
  field?: string;     // what errors call the text (default "json")
}

export const JSON_MAX_BYTES = 1 << 28;
export const JSON_MAX_DEPTH = 64;

// The nesting depth of `text`, scanning no further than where it passes `limit`; brackets inside
// strings do not count. Returns the byte index where the limit was passed, or -1.
export function depthExceeded(text: string, limit: number): number {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;               // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) { if (++depth > limit) return i; }
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

// Parses `text` (the contents of `file`), or throws a ModelFormatError naming the file.
export function parseJson(text: string, file: string, limits: JsonLimits = {}): unknown {
  const maxBytes = limits.maxBytes ?? JSON_MAX_BYTES, maxDepth = limits.maxDepth ?? JSON_MAX_DEPTH, field = limits.field ?? "json";
  if (text.length > maxBytes) throw new ModelFormatError(file, "size", text.length, `larger than ${maxBytes} bytes for a JSON file`);
  const at = depthExceeded(text, maxDepth);
  if (at >= 0) throw new ModelFormatError(file, field, undefined, `nested more than ${maxDepth} levels deep (at character ${at})`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(file, field, undefined, `not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
}

// Like parseJson, and the top level must be an object.
export function parseJsonObject(text: string, file: string, limits: JsonLimits = {}): Record<string, unknown> {
  const v = parseJson(text, file, limits);
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ModelFormatError(file, "json", undefined, "expected a JSON object");
  return v as Record<string, unknown>;
}
