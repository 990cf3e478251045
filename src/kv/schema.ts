// Typed option schemas for KV policies. A schema is a record of specs; parseOptions checks what a
// user gave against it (unknown option, wrong type, out of range: one error naming it) and
// returns a typed object, so a policy reads o.ratio as a number with no casts.

export type OptionType = "number" | "integer" | "boolean" | "integers" | "string";

// One option. T is the value's type; D says whether a default fills it in (then never undefined).
export interface OptionSpec<T = unknown, D extends boolean = boolean> {
  readonly type: OptionType;
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
  readonly values?: readonly string[];
  readonly help: string;
  readonly default?: T;
  readonly hasDefault: D;
}

export type Schema = Record<string, OptionSpec>;

// The typed object a schema yields: options with a default are always set, others may be undefined.
export type Options<S extends Schema> = {
  readonly [K in keyof S]: S[K] extends OptionSpec<infer T, true> ? T : S[K] extends OptionSpec<infer T, boolean> ? T | undefined : never;
};

interface Range { min?: number; max?: number; minExclusive?: boolean }

const spec = <T>(type: OptionType, help: string, r: Range & { values?: readonly string[] } = {}): OptionSpec<T, false> =>
  ({ type, help, ...r, hasDefault: false });

export const number = (help: string, r?: Range) => spec<number>("number", help, r);
export const integer = (help: string, r?: Range) => spec<number>("integer", help, r);
export const boolean = (help: string) => spec<boolean>("boolean", help);
export const integers = (help: string, r?: Range) => spec<number[]>("integers", help, r);

// The same spec with a default value.
export function withDefault<T>(s: OptionSpec<T>, value: T): OptionSpec<T, true> {
  return { ...s, default: value, hasDefault: true };
}

// Checks `given` (keys outside the schema are errors, undefined values are skipped, keys in
// `ignore` belong to someone else) and fills in defaults. `owner` names the policy in errors.
export function parseOptions<S extends Schema>(owner: string, schema: S, given: Record<string, unknown>, ignore: ReadonlySet<string> = new Set()): Options<S> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(schema)) if (s.hasDefault) out[k] = s.default;
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined || ignore.has(k)) continue;
    const s = schema[k];
    if (!s) throw new RangeError(`${owner} has no option "${k}" (options: ${Object.keys(schema).join(", ") || "none"})`);
    checkOption(owner, k, v, s);
    out[k] = v;
  }
  return out as Options<S>;
}

function checkOption(owner: string, key: string, v: unknown, s: OptionSpec): void {
  const bad = (want: string) => new RangeError(`${owner}: invalid option ${key} = ${JSON.stringify(v)}: ${want}`);
  const num = (x: unknown) => {
    if (typeof x !== "number" || !Number.isFinite(x)) throw bad("expected a number");
    if (s.type === "integer" || s.type === "integers") if (!Number.isInteger(x)) throw bad("expected an integer");
    if (s.min !== undefined && (s.minExclusive ? x <= s.min : x < s.min)) throw bad(`must be ${s.minExclusive ? ">" : ">="} ${s.min}`);
    if (s.max !== undefined && x > s.max) throw bad(`must be <= ${s.max}`);
  };
  switch (s.type) {
    case "number": case "integer": num(v); break;
    case "boolean": if (typeof v !== "boolean") throw bad("expected true or false"); break;
    case "integers": if (!Array.isArray(v)) throw bad("expected a list of integers"); v.forEach(num); break;
    case "string": if (typeof v !== "string" || (s.values && !s.values.includes(v))) throw bad(`expected one of ${s.values?.join(", ")}`); break;
  }
}
