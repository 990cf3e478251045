// Reading tinybench results: the median latency of a finished task, or a clear error.
import type { Task } from "tinybench";

export function medianMs(task: Task): number {
  const r = task.result;
  if (r.state !== "completed" || !("latency" in r)) throw new Error(`benchmark "${task.name}" did not complete (${r.state})`);
  return r.latency.p50 ?? r.latency.mean;
}
