// An invalid option value: the message names the option as the API spells it (library users),
// and the fields let a front end name its own flag instead (the CLI says --top-p, not topP).
//   option  the option's path in the API: "topP", "contextSize", "kv.ratio"
//   value   the value given
//   detail  what was wrong ("must be in (0, 1]")
export class OptionError extends RangeError {
  constructor(readonly option: string, readonly value: unknown, readonly detail: string, message?: string) {
    super(message ?? `invalid option ${option} = ${typeof value === "string" ? JSON.stringify(value) : String(value)}: ${detail}`);
    this.name = "OptionError";
  }
}
