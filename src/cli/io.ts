// Where the CLI writes: stdout for text, stderr for timings and errors.
export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  errIsTTY?: boolean;        // stderr is a terminal: progress bars may redraw a line there
}
