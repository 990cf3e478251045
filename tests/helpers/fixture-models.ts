// The golden fixtures hold outputs of other programs on particular model files; each records the
// sha256 of the files it was made from. A golden test first checks that the shared files are
// those files, so a replaced or corrupted model fails with its name instead of as a token mismatch.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fixturePath, sharedPath } from "./shared.ts";

type Json = Record<string, unknown>;

// "shared/models/x.bin" (as the fixtures write it) -> "models/x.bin" (as sharedPath takes it)
const rel = (p: string) => p.replace(/^(\/work\/)?shared\//, "");

// Every model file a fixture records a hash for, in any of the layouts the fixtures use:
//   source.model_file + model_sha256 (+ tokenizer_file + tokenizer_sha256), source.model_files
//   or source.models ({path: sha256}).
export function recordedHashes(fx: Json): Map<string, string> {
  const src = (fx.source ?? {}) as Json;
  const out = new Map<string, string>();
  for (const [file, hash] of [["model_file", "model_sha256"], ["tokenizer_file", "tokenizer_sha256"]]) {
    if (typeof src[file] === "string" && typeof src[hash] === "string") out.set(rel(src[file] as string), src[hash] as string);
  }
  for (const key of ["model_files", "models"]) {
    for (const [p, h] of Object.entries((src[key] ?? {}) as Record<string, string>)) out.set(rel(p), h);
  }
  return out;
}

const hashes = new Map<string, string>();
export function sha256File(path: string): string {
  let h = hashes.get(path);
  if (!h) { h = createHash("sha256").update(readFileSync(path)).digest("hex"); hashes.set(path, h); }
  return h;
}

// Throws one clear error when the file's sha256 is not the one the fixture was made from.
export function checkFileHash(path: string, want: string, fixtureName: string): void {
  const got = sha256File(path);
  if (got !== want) {
    throw new Error(`${path} has sha256 ${got}, but ${fixtureName} was made from a file with sha256 ${want}: ` +
      "its expected outputs do not apply to this file (restore the shared file, or regenerate the fixture as tests/fixtures/README.md says)");
  }
}

// Checks the shared files `rels` (e.g. "models/stories260K.bin") against the hashes the fixture records.
export function checkFixtureModels(fixtureName: string, ...rels: string[]): void {
  const recorded = recordedHashes(JSON.parse(readFileSync(fixturePath(fixtureName), "utf8")));
  for (const r of rels) {
    const want = recorded.get(r);
    if (!want) throw new Error(`${fixtureName} records no sha256 for ${r} (it records: ${[...recorded.keys()].join(", ") || "none"})`);
    checkFileHash(sharedPath(r), want, fixtureName);
  }
}
