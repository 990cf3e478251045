// Node/Deno entry of the CLI (bundled to dist/cli.mjs): wires main() to the process streams.
import { main } from "./main.ts";

export async function runCli(argv: string[]): Promise<number> {
  const debug = !!process.env.BUDGETKV_DEBUG;
  return main(argv, {
    out: (s) => { process.stdout.write(s); },
    err: (s) => { process.stderr.write(s); },
    errIsTTY: process.stderr.isTTY === true,
  }, debug);
}
