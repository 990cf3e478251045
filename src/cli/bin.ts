// Development entry: `node scripts/run-ts.mjs src/cli/bin.ts run -m MODEL ...` (npm run cli -- ...).
import { runCli } from "./node.ts";

process.exitCode = await runCli(process.argv.slice(2));
