// llama.cpp as the peer in the end-to-end bench: one llama-bench repetition at a time (so the
// bench can interleave it with ours), and Q4_K_M files made with llama-quantize. Both are native
// tools the user builds from llama.cpp; nothing here is part of the library.
import { existsSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";

export interface LlamaRep { prefill_tok_s?: number; decode_tok_s?: number; decode_after_prompt_tok_s?: number; error?: string }

// One repetition of llama-bench on a GGUF: prompt of nPrompt tokens (pp), then nGen generated
// tokens (tg, from an empty context), on `threads` threads, weights read through mmap (mmap = 1)
// or copied into memory first (mmap = 0, as our engine holds them). llama-bench warms up first.
// afterPrompt adds its pg test (the prompt, then nGen tokens after it, timed together) and
// derives the decode rate after the prompt, as ours is timed: nGen / (t_pg - nPrompt / pp), where
// t_pg = (nPrompt + nGen) / pg's rate (llama-bench prints none such itself; the subtraction
// carries pp's noise, so read it as a median over repetitions).
export function llamaBenchRep(bin: string, gguf: string, threads: number, nPrompt: number, nGen: number, mmap: 0 | 1, afterPrompt = false): LlamaRep {
  const argv = ["-m", gguf, "-t", String(threads), "-p", String(nPrompt), "-n", String(nGen), ...(afterPrompt ? ["-pg", `${nPrompt},${nGen}`] : []),
    "-r", "1", "-mmp", String(mmap), "-o", "json"];
  const out = spawnSync(bin, argv, { encoding: "utf8", maxBuffer: 1 << 24 });
  if (out.status !== 0) return { error: `llama-bench ${argv.join(" ")} failed: ${(out.stderr || out.error?.message || "").trim().split("\n").pop()}` };
  try {
    const res = JSON.parse(out.stdout) as { n_prompt: number; n_gen: number; avg_ts: number }[];
    const pp = res.find((x) => x.n_prompt > 0 && x.n_gen === 0)?.avg_ts, tg = res.find((x) => x.n_gen > 0 && x.n_prompt === 0)?.avg_ts;
    const pg = res.find((x) => x.n_prompt > 0 && x.n_gen > 0)?.avg_ts;
    const tDecode = pg && pp ? (nPrompt + nGen) / pg - nPrompt / pp : undefined;
    return { prefill_tok_s: pp, decode_tok_s: tg, decode_after_prompt_tok_s: tDecode && tDecode > 0 ? nGen / tDecode : undefined };
  } catch {
    return { error: `llama-bench printed no JSON: ${out.stdout.slice(0, 200)}` };
  }
}

// dst = src quantized to `type` (e.g. Q4_K_M) by llama-quantize, made once (kept if present)
export function llamaQuantize(bin: string, src: string, dst: string, type: string): string {
  if (existsSync(dst) && statSync(dst).mtimeMs >= statSync(src).mtimeMs) return dst;
  const out = spawnSync(bin, [src, dst, type], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (out.status !== 0) throw new Error(`llama-quantize ${src} ${dst} ${type} failed: ${(out.stderr || "").trim().split("\n").pop()}`);
  return dst;
}
