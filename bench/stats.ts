// Reading benchmark results: tinybench medians, and the interleaved kernel / ceiling ratio.
import type { Task } from "tinybench";
import { median } from "../src/util/stats.ts";

export function medianMs(task: Task): number {
  const r = task.result;
  if (r.state !== "completed" || !("latency" in r)) throw new Error(`benchmark "${task.name}" did not complete (${r.state})`);
  return r.latency.p50 ?? r.latency.mean;
}

export interface PairedRatio {
  median: number;   // median over pairs of (kernel rate / ceiling rate)
  ratios: number[]; // one per pair, in the order taken
}

// The kernel's rate as a fraction of a ceiling's (a probe's), measured in interleaved pairs:
// pair i is one kernel call of kernelMs[i] and one probe call of ceilingMs[i] taken back to
// back, so both saw the same machine load; its ratio is (kernelWork / kernelMs[i]) /
// (ceilingWork / ceilingMs[i]), and the figure is the median of these ratios. (Dividing the
// kernel's median by the probe's fastest sample instead compares a typical moment with the
// quietest one: on a shared machine that understates the kernel by the load.)
//   kernelMs, ceilingMs (n_pairs), n_pairs >= 1; work in any unit, the same per side each call
export function pairedRatio(kernelWork: number, kernelMs: readonly number[], ceilingWork: number, ceilingMs: readonly number[]): PairedRatio {
  if (kernelMs.length !== ceilingMs.length) throw new Error(`pairedRatio: ${kernelMs.length} kernel samples but ${ceilingMs.length} ceiling samples (they must pair up)`);
  if (kernelMs.length === 0) throw new Error("pairedRatio: no samples");
  if (!(kernelWork > 0) || !(ceilingWork > 0)) throw new Error(`pairedRatio: work must be positive (kernel ${kernelWork}, ceiling ${ceilingWork})`);
  const ratios = kernelMs.map((km, i) => {
    const cm = ceilingMs[i];
    if (!(km > 0) || !(cm > 0)) throw new Error(`pairedRatio: pair ${i} has a time that is not positive (kernel ${km} ms, ceiling ${cm} ms)`);
    return (kernelWork / km) / (ceilingWork / cm);
  });
  return { median: median(ratios), ratios };
}
