// The one error type every model-file parser throws: it names the file, the field and the value,
// so a user sees what is wrong with their file in one line.

export class ModelFormatError extends Error {
  constructor(readonly file: string, readonly field: string, readonly value: unknown, detail: string) {
    super(`${file}: ${field}${value === undefined ? "" : ` = ${fmt(value)}`}: ${detail}`);
    this.name = "ModelFormatError";
  }
}

function fmt(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? v.slice(0, 80) + "..." : v);
  if (typeof v === "bigint") return v.toString();
  return String(v);
}
