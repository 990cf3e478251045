// Where the CLI writes: stdout for text, stderr for timings and errors; and, for `chat`, where it
// reads (lines of input, files) and how it hears Ctrl-C.
export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  errIsTTY?: boolean;        // stderr is a terminal: progress bars may redraw a line there
  // lines typed or piped on stdin, after showing `prompt` when interactive (undefined: no input)
  lines?(prompt: string): AsyncIterable<string>;
  readText?(path: string): Promise<string>;
  // calls handler on Ctrl-C while the returned function has not been called
  onInterrupt?(handler: () => void): () => void;
}
