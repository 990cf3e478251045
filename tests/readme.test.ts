// The README's install-and-use snippets are the files in examples/, verbatim, so the CI run of
// those files (scripts/check-pack.mjs, in an installed package) tests what the README shows.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers/shared.ts";

describe("README", () => {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Install and use"), readme.indexOf("\n## ", readme.indexOf("## Install and use") + 1));
  const blocks = [...section.matchAll(/```(js|ts)\n([\s\S]*?)```/g)].map((m) => m[2]);

  it("has an install-and-use section with code blocks", () => {
    assert.ok(section.length > 0 && blocks.length >= 2, "README: ## Install and use with js/ts blocks");
  });

  for (const f of readdirSync(join(REPO_ROOT, "examples")).sort()) {
    it(`shows examples/${f} verbatim`, () => {
      const text = readFileSync(join(REPO_ROOT, "examples", f), "utf8");
      assert.ok(blocks.includes(text), `README's block for examples/${f} differs from the file`);
    });
  }

  it("every code block in the section is an example file", () => {
    const files = readdirSync(join(REPO_ROOT, "examples")).map((f) => readFileSync(join(REPO_ROOT, "examples", f), "utf8"));
    for (const b of blocks) assert.ok(files.includes(b), `a README block is not in examples/:\n${b}`);
  });
});
