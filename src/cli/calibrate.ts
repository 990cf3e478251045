// `budgetkv calibrate`: for each adaptive KV policy, the tolerance that meets a top-1 target on
// the user's own text, with a held-out check, and the kept ratio and bytes it saves.
import { readFile } from "node:fs/promises";
import { PROMPT_ENDS, type PromptEnd } from "../eval/prompts.ts";
import { calibrateText } from "../eval/calibrate.ts";
import { MODEL_FLAGS, loadFromFlags } from "./run.ts";
import { parseFlags, usage, UsageError, type FlagSpec } from "./args.ts";
import { parseRange } from "./eval.ts";
import type { CliIO } from "./io.ts";

const FLAGS: FlagSpec[] = [
  ...MODEL_FLAGS,
  { names: ["--data"], key: "data", type: "string", help: "text file the prompts are cut from" },
  { names: ["--target-top1"], key: "targetTop1", type: "number", help: "top-1 agreement with the full cache to meet (default 0.99)" },
  { names: ["--policies"], key: "policies", type: "string", help: "adaptive policies to calibrate (default: all: dbudget,nucleus,threshold)" },
  { names: ["--prompts"], key: "prompts", type: "integer", help: "prompts, half to calibrate and half held out (default 40)" },
  { names: ["--prompt-tokens"], key: "promptTokens", type: "string", help: "prompt length L or range LO-HI (default 96-436, clamped to the context)" },
  { names: ["--prompt-end"], key: "promptEnd", type: "string", help: "where prompts end: sentence (default), paragraph, token" },
  { names: ["--cont-tokens"], key: "contTokens", type: "integer", help: "teacher-forced continuation tokens (default 40)" },
  { names: ["--gen-tokens"], key: "genTokens", type: "integer", help: "greedy tokens compared with the full cache (default 32)" },
  { names: ["--steps"], key: "steps", type: "integer", help: "bisection steps per policy (default 7)" },
  { names: ["--json"], key: "json", type: "boolean", help: "print one JSON object" },
];
export const CALIBRATE_USAGE = `budgetkv calibrate [-m MODEL] --data FILE [--target-top1 0.99] [--policies LIST] [--prompts N] [--json]\n${usage(FLAGS)}`;

export async function calibrateCommand(argv: string[], io: CliIO): Promise<void> {
  const { flags: f, rest } = parseFlags(argv, FLAGS);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (typeof f.data !== "string") throw new UsageError("--data FILE is required");
  const target = (f.targetTop1 as number | undefined) ?? 0.99;
  if (!(target > 0 && target <= 1)) throw new UsageError(`--target-top1 ${target}: expected a number in (0, 1]`);
  const nPrompts = (f.prompts as number | undefined) ?? 40;
  if (nPrompts < 2) throw new UsageError("--prompts must be >= 2 (half calibrate, half are held out)");
  const cont = (f.contTokens as number | undefined) ?? 40, gen = (f.genTokens as number | undefined) ?? 32;
  if (cont < 1 || gen < 1) throw new UsageError("--cont-tokens and --gen-tokens must be >= 1");
  const end = ((f.promptEnd as string | undefined) ?? "sentence") as PromptEnd;
  if (!PROMPT_ENDS.includes(end)) throw new UsageError(`--prompt-end "${end}": expected ${PROMPT_ENDS.join(", ")}`);
  const policies = (f.policies as string | undefined)?.split(",").map((s) => s.trim()).filter(Boolean);
  const text = await readFile(f.data, "utf8").catch(() => { throw new Error(`cannot read --data ${f.data}`); });
  const llm = await loadFromFlags(f, io);
  try {
    const promptTokens = parseRange((f.promptTokens as string | undefined) ?? "96-436", llm.contextSize - Math.max(cont, gen) - 1);
    const onStep = f.json ? undefined : (p: string, t: number, r: { top1_agreement: number; kept_ratio: number }) =>
      io.err(`calibrate: ${p} T=${t.toPrecision(3)}: top-1 ${r.top1_agreement.toFixed(4)}, kept ${r.kept_ratio.toFixed(3)}\n`);
    const { prompts, calibrations: res } = calibrateText(llm, text, {
      targetTop1: target, policies, steps: f.steps as number | undefined, onStep, prompts: nPrompts, promptTokens, promptEnd: end, contTokens: cont, genTokens: gen,
    });
    if (f.json) { io.out(JSON.stringify({ model: llm.file.name, data: f.data, target_top1: target, prompts: prompts.length, prompt_end: end, calibrations: res }, null, 2) + "\n"); return; }
    io.out(`${llm.file.name}: target top-1 >= ${target}; ${Math.ceil(prompts.length / 2)} prompts calibrate, ${Math.floor(prompts.length / 2)} held out (ending at a ${end === "token" ? "token count" : end + " end"})\n`);
    io.out(`${"policy".padEnd(10)} ${"tolerance".padStart(10)} ${"kept".padStart(6)} ${"top1".padStart(6)} ${"held-out kept".padStart(14)} ${"top1".padStart(6)} ${"greedy=".padStart(8)} ${"KiB saved".padStart(10)}  verdict\n`);
    for (const c of res) {
      if (!c.met) { io.out(`${c.policy.padEnd(10)} ${"0".padStart(10)}  no tolerance tried met the target: keep everything (tolerance 0)\n`); continue; }
      const a = c.calibration!, h = c.heldOut!;
      io.out(`${c.policy.padEnd(10)} ${c.tolerance.toPrecision(3).padStart(10)} ${a.kept_ratio.toFixed(3).padStart(6)} ${a.top1_agreement.toFixed(3).padStart(6)} ${h.kept_ratio.toFixed(3).padStart(14)} ${h.top1_agreement.toFixed(3).padStart(6)} ${(100 * h.greedy_identical).toFixed(0).padStart(7)}% ${(h.bytes_saved_mean / 1024).toFixed(1).padStart(10)}  ${c.heldOutMet ? "held-out meets the target" : "held-out MISSES the target"}\n`);
    }
  } finally {
    llm.dispose();
  }
}
