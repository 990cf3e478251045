// Stop strings over streamed text: emits text as soon as it cannot be the start of a stop
// string, and reports the stop when one appears.
import { OptionError } from "../util/option-error.ts";

export class StopMatcher {
  private held = "";
  private readonly result = { emit: "", stopped: false }; // reused when there are no stop strings
  constructor(private readonly stops: readonly string[]) {
    for (const s of stops) if (typeof s !== "string" || s.length === 0) throw new OptionError("stop", s, "stop strings must be non-empty strings", "invalid option stop: stop strings must be non-empty strings");
  }

  // Feeds new text; returns the text safe to emit and whether a stop string was reached
  // (the stop string itself and anything after it are dropped).
  push(text: string): { emit: string; stopped: boolean } {
    if (this.stops.length === 0) { this.result.emit = text; this.result.stopped = false; return this.result; }
    const buf = this.held + text;
    let cut = -1;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) { this.held = ""; return { emit: buf.slice(0, cut), stopped: true }; }
    // hold back the longest suffix that is a prefix of some stop string
    let hold = 0;
    for (const s of this.stops) {
      for (let l = Math.min(s.length - 1, buf.length); l > hold; l--) {
        if (buf.endsWith(s.slice(0, l))) { hold = l; break; }
      }
    }
    this.held = buf.slice(buf.length - hold);
    return { emit: buf.slice(0, buf.length - hold), stopped: false };
  }

  flush(): string {
    const h = this.held;
    this.held = "";
    return h;
  }
}
