// A small static file server for the demo and bench pages (Node http, nothing to install).
// It sends Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp, so pages are cross-origin isolated and budgetkv (and wllama) can run threads;
// add ?coi=0 to a page's URL to get it without them (one thread).
// Serves the repository at / (the demo is /web/, the bench page /web/bench.html) and
// $BUDGETKV_SHARED/models (default ../shared/models) at /shared/models/.
//   npm run serve [-- --port 8080] [-- --host 127.0.0.1]
import { createServer } from "node:http";
import { createReadStream, existsSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "..", "..");

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json", ".map": "application/json", ".wasm": "application/wasm",
  ".svg": "image/svg+xml", ".png": "image/png", ".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8",
};

// mounts: URL prefix -> directory; the longest matching prefix wins
export function defaultMounts() {
  const shared = process.env.BUDGETKV_SHARED ?? resolve(root, "..", "shared");
  return { "/": root, "/shared/models/": join(shared, "models") };
}

function filePath(mounts, pathname) {
  const prefix = Object.keys(mounts).filter((p) => pathname.startsWith(p)).sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) return undefined;
  const dir = resolve(mounts[prefix]);
  const p = normalize(join(dir, decodeURIComponent(pathname.slice(prefix.length))));
  if (p !== dir && !p.startsWith(dir + sep)) return undefined; // outside the mount
  return p;
}

// Starts the server; resolves to { url, close() } once it listens (port 0: any free port).
export function startServer({ port = 8080, host = "127.0.0.1", mounts = defaultMounts(), log = false } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const isolate = url.searchParams.get("coi") !== "0";
    const headers = { "Cache-Control": "no-store", "Cross-Origin-Resource-Policy": "same-origin" };
    if (isolate) Object.assign(headers, { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" });
    if (url.pathname === "/") { res.writeHead(302, { ...headers, Location: "/web/" + url.search }); res.end(); return; }
    let p = filePath(mounts, url.pathname);
    if (p && existsSync(p) && statSync(p).isDirectory()) p = join(p, "index.html");
    if (req.method !== "GET" && req.method !== "HEAD") { res.writeHead(405, headers); res.end(); return; }
    if (!p || !existsSync(p) || !statSync(p).isFile()) {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain" });
      res.end(`not found: ${url.pathname}\n`);
      if (log) console.error(`404 ${url.pathname}`);
      return;
    }
    const size = statSync(p).size;
    const type = TYPES[extname(p)] ?? "application/octet-stream";
    // one byte range ("bytes=a-b", "bytes=a-", "bytes=-n"), as model loaders ask for headers
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
    if (range && (range[1] || range[2])) {
      let start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      let end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) { res.writeHead(416, { ...headers, "Content-Range": `bytes */${size}` }); res.end(); return; }
      res.writeHead(206, { ...headers, "Content-Type": type, "Content-Length": end - start + 1, "Content-Range": `bytes ${start}-${end}/${size}`, "Accept-Ranges": "bytes" });
      if (req.method === "HEAD") { res.end(); return; }
      createReadStream(p, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": type, "Content-Length": size, "Accept-Ranges": "bytes" });
    if (req.method === "HEAD") { res.end(); return; }
    createReadStream(p).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      const a = server.address();
      ok({ url: `http://${host}:${a.port}`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const flag = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
  const { buildBrowserBundle } = await import("./build-browser.mjs");
  if (!existsSync(join(root, "src", "wasm", "generated", "kernels-wasm.ts"))) {
    console.error("serve: the kernel module is not built; run `npm run build` first");
    process.exit(1);
  }
  await buildBrowserBundle();
  const { url } = await startServer({ port: Number(flag("--port", "8080")), host: flag("--host", "127.0.0.1"), log: true });
  console.log(`budgetkv demo: ${url}/web/   (bench: ${url}/web/bench.html; cross-origin isolated; ?coi=0 for one thread)`);
}
