// Node/Deno entry of the CLI (bundled to dist/cli.mjs): wires main() to the process streams.
import { main } from "./main.ts";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";

export async function runCli(argv: string[]): Promise<number> {
  const debug = !!process.env.BUDGETKV_DEBUG;
  const interrupts = new Set<() => void>();
  let rl: ReturnType<typeof createInterface> | undefined;
  const onSigint = () => { for (const h of interrupts) h(); };
  try {
    return await main(argv, {
      out: (s) => { process.stdout.write(s); },
      err: (s) => { process.stderr.write(s); },
      errIsTTY: process.stderr.isTTY === true,
      readText: (path) => readFile(path, "utf8"),
      // stdin lines; on a terminal with a prompt, and readline turns Ctrl-C into its SIGINT event
      lines(prompt) {
        const tty = !!process.stdin.isTTY;
        rl = createInterface({ input: process.stdin, output: tty ? process.stderr : undefined, terminal: tty });
        rl.on("SIGINT", onSigint);
        const r = rl;
        return (async function* () {
          if (tty) { r.setPrompt(prompt); r.prompt(); }
          for await (const line of r) {
            yield line;
            if (tty) r.prompt();
          }
        })();
      },
      onInterrupt(handler) {
        if (interrupts.size === 0) process.on("SIGINT", onSigint);
        interrupts.add(handler);
        return () => {
          interrupts.delete(handler);
          if (interrupts.size === 0) process.off("SIGINT", onSigint);
        };
      },
    }, debug);
  } finally {
    rl?.close();
    process.off("SIGINT", onSigint);
  }
}
