// Tokens that do not fit the context: a prompt longer than the context size, or a session's new
// turn with no room left (and no context shift to make it). A RangeError, so callers that caught
// those still do; its own name so a front end (or the fuzzer) can tell it from a bug.
export class ContextError extends RangeError {
  constructor(message: string, readonly tokens: number, readonly contextSize: number) {
    super(message);
    this.name = "ContextError";
  }
}
