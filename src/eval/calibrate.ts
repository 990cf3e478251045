// Calibration: for each adaptive (budget-free) policy, the tolerance that meets a top-1 target on
// the user's own text, checked on prompts it was not chosen on. The prompts are split in two
// (even indices calibrate, odd ones are held out); on the calibration half a bisection in log
// space finds the largest tolerance whose top-1 agreement with the full cache is >= the target;
// the held-out half then measures that tolerance. Top-1 is close to monotone in the tolerance,
// not exactly: the search assumes it between the measured points, and the held-out check says
// whether the answer carried over.
import { POLICIES } from "../kv/registry.ts";
import type { KVOptions } from "../kv/options.ts";
import { Evaluator, type PolicyResult } from "./evaluate.ts";
import { textPrompts, type EvalPrompt, type PromptEnd } from "./prompts.ts";
import type { LLM } from "../llm.ts";

export interface CalibrateOptions {
  targetTop1: number;                  // in (0, 1]
  policies?: string[];                 // adaptive policies (default: every adaptive one)
  steps?: number;                      // bisection steps (default 7)
  extra?: Record<string, KVOptions>;   // more options per policy (e.g. { threshold: { scorer: "h2o" } })
  onStep?: (policy: string, tolerance: number, r: PolicyResult) => void;
}

export interface Calibration {
  policy: string;
  tolerance: number;          // the chosen tolerance (0: nothing tried met the target; keeps everything)
  met: boolean;               // the calibration half met the target at some tolerance > 0
  calibration?: PolicyResult; // at the chosen tolerance, on the calibration half
  heldOut?: PolicyResult;     // at the chosen tolerance, on the held-out half
  heldOutMet: boolean;
  tried: { tolerance: number; top1: number; kept: number }[];
}

// Where each policy's tolerance is searched (log space); others use DEFAULT_RANGE.
const RANGES: Record<string, [number, number]> = { threshold: [1e-3, 4] };
const DEFAULT_RANGE: [number, number] = [1e-5, 0.5];

export function calibrate(ev: Evaluator, prompts: EvalPrompt[], o: CalibrateOptions): Calibration[] {
  if (!(o.targetTop1 > 0 && o.targetTop1 <= 1)) throw new RangeError(`calibrate: target top-1 ${o.targetTop1} must be in (0, 1]`);
  if (prompts.length < 2) throw new RangeError(`calibrate: needs at least 2 prompts (one to calibrate, one held out), got ${prompts.length}`);
  const steps = o.steps ?? 7;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`calibrate: steps = ${steps}, expected an integer >= 0`);
  const names = o.policies ?? [...POLICIES.values()].filter((f) => f.adaptive).map((f) => f.name);
  for (const name of names) {
    const f = POLICIES.get(name);
    if (!f) throw new RangeError(`calibrate: unknown KV policy "${name}" (known: ${[...POLICIES.keys()].join(", ")})`);
    if (!f.adaptive) throw new RangeError(`calibrate: KV policy "${name}" has a fixed budget, not a tolerance (adaptive: ${[...POLICIES.values()].filter((p) => p.adaptive).map((p) => p.name).join(", ")})`);
  }
  const calib = prompts.filter((_, i) => i % 2 === 0), held = prompts.filter((_, i) => i % 2 === 1);
  const refsC = calib.map((p) => ev.reference(p)), refsH = held.map((p) => ev.reference(p));
  return names.map((policy) => {
    const tried: Calibration["tried"] = [];
    const measure = (t: number, set = calib, refs = refsC) => {
      const r = ev.run({ label: `${policy}:${t.toPrecision(3)}`, family: policy, adaptive: true, param: t, kv: { ...o.extra?.[policy], policy, tolerance: t } }, set, refs);
      if (set === calib) { tried.push({ tolerance: t, top1: r.top1_agreement, kept: r.kept_ratio }); o.onStep?.(policy, t, r); }
      return r;
    };
    const meets = (r: PolicyResult) => r.top1_agreement >= o.targetTop1;
    let [lo, hi] = RANGES[policy] ?? DEFAULT_RANGE;
    let best: { t: number; r: PolicyResult } | undefined;
    const rHi = measure(hi);
    if (meets(rHi)) best = { t: hi, r: rHi };
    else {
      const rLo = measure(lo);
      if (meets(rLo)) {
        best = { t: lo, r: rLo };
        for (let s = 0; s < steps; s++) {
          const mid = Math.sqrt(lo * hi);
          const r = measure(mid);
          if (meets(r)) { best = { t: mid, r }; lo = mid; } else hi = mid;
        }
      }
    }
    if (!best) return { policy, tolerance: 0, met: false, heldOutMet: true, tried };
    const heldOut = measure(best.t, held, refsH);
    return { policy, tolerance: best.t, met: true, calibration: best.r, heldOut, heldOutMet: meets(heldOut), tried };
  });
}

export interface CalibrateTextOptions extends CalibrateOptions {
  prompts?: number;                    // default 40: half calibrate, half are held out
  promptTokens?: [number, number];     // prompt length range (default 96-436, clamped to the context)
  promptEnd?: PromptEnd;               // default "sentence"
  contTokens?: number;                 // teacher-forced tokens per prompt (default 40)
  genTokens?: number;                  // greedy tokens compared (default 32)
}

// The library call: calibrate every adaptive policy (or o.policies) on a model and a text.
//   const res = calibrateText(llm, text, { targetTop1: 0.99 });
export function calibrateText(llm: LLM, text: string, o: CalibrateTextOptions): { prompts: EvalPrompt[]; calibrations: Calibration[] } {
  const cont = o.contTokens ?? 40, gen = o.genTokens ?? 32;
  if (!(Number.isInteger(cont) && cont >= 1 && Number.isInteger(gen) && gen >= 1)) throw new RangeError(`calibrate: contTokens ${cont} and genTokens ${gen} must be integers >= 1`);
  const maxLen = llm.contextSize - Math.max(cont, gen) - 1;
  let [lo, hi] = o.promptTokens ?? [96, 436];
  hi = Math.min(hi, maxLen);
  if (lo > hi) lo = Math.max(2, Math.floor(hi / 2));
  const prompts = textPrompts(text, llm.tokenizer, o.prompts ?? 40, lo, hi, cont, o.promptEnd ?? "sentence");
  const { rt, model } = llm.engine;
  return { prompts, calibrations: calibrate(new Evaluator(rt, model, gen), prompts, o) };
}
