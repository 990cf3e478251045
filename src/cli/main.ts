// The budgetkv command line: run, chat, inspect, eval, calibrate, bench. Errors print one line (no stack trace unless
// BUDGETKV_DEBUG is set) and exit with status 1; usage errors exit with status 2. An invalid
// option value is reported under the flag that set it.
import { runCommand, RUN_FLAGS, RUN_USAGE } from "./run.ts";
import { inspectCommand, INSPECT_USAGE } from "./inspect.ts";
import { evalCommand, EVAL_USAGE } from "./eval.ts";
import { chatCommand, CHAT_USAGE } from "./chat.ts";
import { calibrateCommand, CALIBRATE_USAGE } from "./calibrate.ts";
import { benchCommand, BENCH_USAGE } from "./bench.ts";
import { flagFor, UsageError } from "./args.ts";
import { OptionError } from "../util/option-error.ts";
import { VERSION } from "../version.ts";
import type { CliIO } from "./io.ts";

const HELP = `budgetkv: small language models on the CPU, with a KV cache that prunes itself

  ${RUN_USAGE.split("\n")[0]}
  ${CHAT_USAGE.split("\n")[0]}
  ${INSPECT_USAGE.split("\n")[0]}
  ${EVAL_USAGE.split("\n")[0]}
  ${CALIBRATE_USAGE.split("\n")[0]}
  ${BENCH_USAGE.split("\n")[0]}

budgetkv COMMAND --help lists a command's flags; budgetkv --version prints the version.`;

export async function main(argv: string[], io: CliIO, debug = false): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") { io.out(HELP + "\n"); return cmd ? 0 : 2; }
    if (cmd === "--version") { io.out(`budgetkv ${VERSION}\n`); return 0; }
    const wantsHelp = rest.includes("--help") || rest.includes("-h");
    switch (cmd) {
      case "run": if (wantsHelp) { io.out(RUN_USAGE + "\n"); return 0; } await runCommand(rest, io); return 0;
      case "chat": if (wantsHelp) { io.out(CHAT_USAGE + "\n"); return 0; } await chatCommand(rest, io); return 0;
      case "inspect": if (wantsHelp) { io.out(INSPECT_USAGE + "\n"); return 0; } await inspectCommand(rest, io); return 0;
      case "eval": if (wantsHelp) { io.out(EVAL_USAGE + "\n"); return 0; } await evalCommand(rest, io); return 0;
      case "calibrate": if (wantsHelp) { io.out(CALIBRATE_USAGE + "\n"); return 0; } await calibrateCommand(rest, io); return 0;
      case "bench": if (wantsHelp) { io.out(BENCH_USAGE + "\n"); return 0; } await benchCommand(rest, io); return 0;
      default: throw new UsageError(`unknown command "${cmd}" (run, chat, inspect, eval, calibrate, bench)`);
    }
  } catch (e) {
    const err = e as Error;
    io.err(`budgetkv: error: ${message(e)}\n`);
    if (debug && err?.stack) io.err(err.stack + "\n");
    return e instanceof UsageError ? 2 : 1;
  }
}

function message(e: unknown): string {
  if (e instanceof OptionError) {
    const flag = flagFor(e.option, RUN_FLAGS);
    if (flag) return `${flag} ${typeof e.value === "string" ? JSON.stringify(e.value) : String(e.value)}: ${e.detail}`;
  }
  return (e as Error)?.message ?? String(e);
}
