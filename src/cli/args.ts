// Command-line flags, named as in llama.cpp. Each command lists its flags; an unknown flag or a
// bad value is one error line naming it.

export interface FlagSpec {
  names: string[];           // e.g. ["-m", "--model"]
  key: string;
  type: "string" | "number" | "integer" | "boolean" | "list";   // list: comma-separated, or the flag repeated (string[])
  help: string;
  option?: string;           // the API option it sets ("topP", "kv.ratio"), so errors can name the flag
}

export class UsageError extends Error {
  constructor(msg: string) { super(msg); this.name = "UsageError"; }
}

export function parseFlags(argv: string[], specs: FlagSpec[]): { flags: Record<string, unknown>; rest: string[] } {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const flags: Record<string, unknown> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) { inline = a.slice(eq + 1); a = a.slice(0, eq); }
    if (!a.startsWith("-") || a === "-") { rest.push(a); continue; }
    const s = byName.get(a);
    if (!s) throw new UsageError(`unknown flag ${a}`);
    if (s.type === "boolean") { flags[s.key] = true; continue; }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`flag ${a} needs a value`);
    if (s.type === "string") flags[s.key] = v;
    else if (s.type === "list") flags[s.key] = [...((flags[s.key] as string[] | undefined) ?? []), ...v.split(",").map((x) => x.trim())];
    else {
      const x = Number(v);
      if (v.trim() === "" || !Number.isFinite(x)) throw new UsageError(`flag ${a}: "${v}" is not a number`);
      if (s.type === "integer" && !Number.isInteger(x)) throw new UsageError(`flag ${a}: "${v}" is not an integer`);
      flags[s.key] = x;
    }
  }
  return { flags, rest };
}

// The flag that sets an API option, for error messages ("kv.ratio" -> "--kv-ratio").
export function flagFor(option: string, specs: readonly FlagSpec[]): string | undefined {
  const s = specs.find((s) => s.option === option);
  return s?.names[0];
}

export function usage(specs: FlagSpec[]): string {
  return specs.map((s) => `  ${s.names.join(", ").padEnd(24)} ${s.help}`).join("\n");
}
