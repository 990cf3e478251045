// A generation as a stream: an async iterable of text pieces plus the final result's promise.
// `run` receives the callback that queues each piece as soon as it is final.
import type { GenerationResult } from "./session.ts";

export type GenerationStream = AsyncIterable<string> & { result: Promise<GenerationResult> };

export function streamOf(run: (onPiece: (piece: string) => void) => Promise<GenerationResult>): GenerationStream {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  // run starts now, so a generation queues on its model in call order (LLM.generate(), then
  // LLM.complete(): the stream runs first); a throw from it rejects `result`
  const result = (async () => {
    try {
      return await run((piece) => { queue.push(piece); wake?.(); });
    } catch (e) {
      failure = e;
      throw e;
    } finally {
      finished = true;
      wake?.();
    }
  })();
  result.catch(() => {});
  return {
    result,
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length) { yield queue.shift()!; continue; }
        if (finished) {
          if (failure) throw failure;
          return;
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
  };
}
