// The signal a generation polls (once per token, and between prefill chunks): aborted when the
// library's own controller is (LLM.dispose(), session dispose) or the caller's signal is. Read,
// not listened to, so a caller's signal needs only `aborted` (and optionally throwIfAborted), and
// nothing is left registered on it after the call.
export function eitherAborted(own: AbortSignal, user: AbortSignal | undefined): AbortSignal {
  if (!user) return own;
  return {
    get aborted() { return own.aborted || user.aborted === true; },
    get reason() { return own.aborted ? own.reason : user.reason; },
    throwIfAborted() {
      own.throwIfAborted();
      if (typeof user.throwIfAborted === "function") user.throwIfAborted();
      else if (user.aborted) throw new DOMException("This operation was aborted", "AbortError");
    },
  } as AbortSignal;
}
