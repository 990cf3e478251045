// An esbuild plugin for the development bundles (tests, scripts/run-ts.mjs), which run from
// .build/ rather than beside src/: each src/ module sees its own source file's URL as
// import.meta.url, as it does when Deno runs src/ unchanged, so `new URL("../models/...",
// import.meta.url)` finds the repository's files. dist/ needs no plugin: dist/ and src/ are both
// one level below the package root.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";

export const sourceImportMetaUrl = {
  name: "source-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      return { contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
    });
  },
};
