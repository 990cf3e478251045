// The budgetkv command line: run, inspect, eval, calibrate. Errors print one line (no stack trace unless
// BUDGETKV_DEBUG is set) and exit with status 1; usage errors exit with status 2.
import { runCommand, RUN_USAGE } from "./run.ts";
import { inspectCommand, INSPECT_USAGE } from "./inspect.ts";
import { evalCommand, EVAL_USAGE } from "./eval.ts";
import { calibrateCommand, CALIBRATE_USAGE } from "./calibrate.ts";
import { UsageError } from "./args.ts";
import type { CliIO } from "./io.ts";

const HELP = `budgetkv: small language models on the CPU, with a KV cache that prunes itself

  ${RUN_USAGE.split("\n")[0]}
  ${INSPECT_USAGE.split("\n")[0]}
  ${EVAL_USAGE.split("\n")[0]}
  ${CALIBRATE_USAGE.split("\n")[0]}

budgetkv COMMAND --help lists a command's flags.`;

export async function main(argv: string[], io: CliIO, debug = false): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") { io.out(HELP + "\n"); return cmd ? 0 : 2; }
    const wantsHelp = rest.includes("--help") || rest.includes("-h");
    switch (cmd) {
      case "run": if (wantsHelp) { io.out(RUN_USAGE + "\n"); return 0; } await runCommand(rest, io); return 0;
      case "inspect": if (wantsHelp) { io.out(INSPECT_USAGE + "\n"); return 0; } await inspectCommand(rest, io); return 0;
      case "eval": if (wantsHelp) { io.out(EVAL_USAGE + "\n"); return 0; } await evalCommand(rest, io); return 0;
      case "calibrate": if (wantsHelp) { io.out(CALIBRATE_USAGE + "\n"); return 0; } await calibrateCommand(rest, io); return 0;
      default: throw new UsageError(`unknown command "${cmd}" (run, inspect, eval, calibrate)`);
    }
  } catch (e) {
    const err = e as Error;
    io.err(`budgetkv: error: ${err?.message ?? String(e)}\n`);
    if (debug && err?.stack) io.err(err.stack + "\n");
    return e instanceof UsageError ? 2 : 1;
  }
}
