// `budgetkv chat`: an interactive chat over one session, so each turn prefills only its new
// tokens. Lines from stdin are turns (typed, or piped for a scripted chat); -f FILE sends a file
// as the first turn. Ctrl-C ends the reply being written, not the program; Ctrl-C at the prompt,
// end of input, or /exit ends it. Without a chat template the turns are plain text.
import type { TurnOptions } from "../chat-session.ts";
import { parseFlags, usage, UsageError, type FlagSpec } from "./args.ts";
import type { CliIO } from "./io.ts";
import { KV_FLAGS, MODEL_FLAGS, SAMPLING_FLAGS, kvOptions, loadFromFlags, samplingOptions } from "./run.ts";

const CHAT_FLAGS: FlagSpec[] = [
  ...MODEL_FLAGS,
  { names: ["-sys", "--system-prompt"], key: "system", type: "string", help: "system prompt (sent with the first turn)" },
  { names: ["-f", "--file"], key: "file", type: "string", help: "send this file's text as the first turn" },
  { names: ["-n", "--n-predict"], key: "n", type: "integer", help: "tokens to generate per reply (default 256)" },
  ...SAMPLING_FLAGS,
  { names: ["--ctx-shift"], key: "ctxShift", type: "boolean", help: "at the context size, prune (the KV policy, else StreamingLLM) and go on" },
  ...KV_FLAGS,
];

export const CHAT_USAGE = `budgetkv chat -m MODEL [-sys TEXT] [-f FILE] [flags]   (lines on stdin are turns)\n${usage(CHAT_FLAGS)}`;

export async function chatCommand(argv: string[], io: CliIO): Promise<void> {
  const { flags: f, rest } = parseFlags(argv, CHAT_FLAGS);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const first = typeof f.file === "string" ? await readFile(io, f.file) : undefined;
  const llm = await loadFromFlags(f, io);
  try {
    const kv = kvOptions(f);
    if (f.ctxShift) kv.contextShift = true;
    const session = llm.session({ system: f.system as string | undefined, kv });
    io.err(`budgetkv: chat with ${llm.file.name}: ${session.templated ? "its chat template" : "no chat template, plain text turns"}; Ctrl-C ends a reply, /exit or end of input ends the chat\n`);
    const opts: TurnOptions = { maxTokens: (f.n as number | undefined) ?? 256, ...samplingOptions(f) };
    let current: AbortController | undefined;
    let quit = false;
    const off = io.onInterrupt?.(() => {
      if (current) current.abort();
      else quit = true;
    });
    const turn = async (text: string) => {
      current = new AbortController();
      try {
        const g = session.stream(text, { ...opts, signal: current.signal });
        for await (const piece of g) io.out(piece);
        const r = await g.result;
        io.out("\n");
        if (r.finishReason === "abort") io.err("budgetkv: [reply ended]\n");
        const shifts = r.kv?.shifts.length ? `, ${r.kv.shifts.length} context shift(s)` : "";
        io.err(`budgetkv: ${r.stats.promptTokens} new tokens prefilled, ${r.tokens.length} generated; cache ${session.stats.kvRows} rows, ${session.stats.kvBytes} bytes, ${session.stats.positions} positions${shifts}\n`);
      } finally {
        current = undefined;
      }
    };
    try {
      if (first !== undefined) await turn(first);
      if (io.lines) {
        for await (const line of io.lines("> ")) {
          if (quit || line.trim() === "/exit") break;
          if (line.trim() === "") continue;
          await turn(line);
          if (quit) break;
        }
      }
    } finally {
      off?.();
      session.dispose();
    }
  } finally {
    llm.dispose();
  }
}

async function readFile(io: CliIO, path: string): Promise<string> {
  if (!io.readText) throw new UsageError("-f FILE: this runtime cannot read files");
  try {
    return await io.readText(path);
  } catch (e) {
    throw new UsageError(`-f ${path}: ${(e as Error).message}`);
  }
}
