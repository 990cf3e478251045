// A one-line progress bar on stderr while a model loads (only when stderr is a terminal):
//   loading stories260K.gguf [##############----------------]  47%
// redrawn with \r at most every 1 % and erased when loading ends.
import type { LoadProgress } from "../llm.ts";
import type { CliIO } from "./io.ts";

const WIDTH = 30;

export function loadProgressBar(io: CliIO, name: string): { update(p: LoadProgress): void; done(): void } | undefined {
  if (!io.errIsTTY) return undefined;
  let shown = -1, weights = false;
  const label = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  return {
    update(p) {
      // bytes while a file downloads, then weights converted (the two stages overlap: once
      // weights have started, their count alone moves the bar)
      if (p.stage === "weights") weights = true;
      else if (p.stage === "read" && weights) return;
      const frac = p.stage === "ready" ? 1 : p.total > 0 ? Math.min(1, p.loaded / p.total) : 0;
      const pct = Math.floor(100 * frac);
      if (pct === shown) return;
      shown = pct;
      const fill = Math.round(WIDTH * frac);
      io.err(`\rloading ${label} [${"#".repeat(fill)}${"-".repeat(WIDTH - fill)}] ${String(pct).padStart(3)}%`);
    },
    done() {
      if (shown >= 0) io.err("\r\x1b[K");
    },
  };
}
