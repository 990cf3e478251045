// Byte sources: random-access reads from a file path (Node/Deno), an http(s) URL (in a browser
// also a relative one, resolved against the page or worker location as fetch does), a Blob/File or
// bytes in memory, and folders of them (a Hugging Face model directory on disk, at a URL, or a
// browser FileList / Map<string, Blob>). Nothing here parses; the parsers in src/format/ read
// through these interfaces only. Node APIs are imported dynamically inside the file-path branch,
// so this module loads unchanged in browsers.

// An I/O failure (missing file, HTTP error, read outside the file). `missing` is true when the
// file does not exist, so callers probing for optional files can tell absence from failure.
export class SourceError extends Error {
  constructor(readonly source: string, detail: string, readonly missing = false) {
    super(`${source}: ${detail}`);
    this.name = "SourceError";
  }
}

export interface ByteSource {
  readonly name: string;
  readonly size: number;
  // `length` bytes from `offset`; a range outside the file is a SourceError. The result may alias
  // the source's own memory (treat it as read-only) and its byteOffset is a multiple of 8.
  read(offset: number, length: number): Promise<Uint8Array>;
  // A file beside this one (same directory, or resolved against the URL); absent for Blobs and
  // bytes, which have no location.
  openSibling?(name: string): Promise<ByteSource>;
  close(): Promise<void>;
}

// A directory of files: a path, a URL ending in "/", a FileList or a Map<string, Blob>.
export interface Folder {
  readonly name: string;
  // the file `name` in this folder, or undefined when there is none
  tryOpen(name: string): Promise<ByteSource | undefined>;
  // the file names, when the folder can be listed (paths, FileLists, maps; not URLs)
  list?(): Promise<string[]>;
}

export type Progress = (loadedBytes: number, totalBytes: number) => void;

export interface SourceOptions {
  name?: string;           // what errors call the source (default: the path, URL or File name)
  onProgress?: Progress;   // download progress of an http(s) URL (total is 0 when unknown)
  fetch?: typeof fetch;    // default globalThis.fetch
}

export type FileLike = Blob & { name?: string; webkitRelativePath?: string };
export type SourceInput = string | URL | Blob | ArrayBuffer | Uint8Array;
export type FolderInput = string | URL | Map<string, Blob> | ArrayLike<FileLike>;

export function isByteSource(x: unknown): x is ByteSource {
  return typeof x === "object" && x !== null && typeof (x as ByteSource).read === "function" && typeof (x as ByteSource).size === "number";
}

export function isFolder(x: unknown): x is Folder {
  return typeof x === "object" && x !== null && typeof (x as Folder).tryOpen === "function";
}

function isHttp(s: string): boolean { return /^https?:\/\//i.test(s); }

// In a browser page or worker (no file system), a string that is not an absolute URL is a URL
// relative to the document or worker script, as fetch() reads it: "/models/x.gguf",
// "models/x.gguf", "../x.gguf". Elsewhere (Node, Deno) it stays a file path.
function resolveInBrowser(s: string): string {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } }; location?: { href?: string } };
  if (g.Deno !== undefined || g.process?.versions?.node || typeof g.location?.href !== "string") return s;
  if (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)) return s; // already absolute (a drive letter is not a scheme)
  try {
    return new URL(s, g.location.href).href;
  } catch {
    throw new SourceError(s, `cannot be resolved as a URL against ${g.location.href}`);
  }
}

function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new SourceError(name, `read of ${length} bytes at offset ${offset} is outside the ${size}-byte file`);
  }
}

// The input as a single file. A directory path is an error (open it with openFolder or openModel).
export async function openSource(src: SourceInput, opts: SourceOptions = {}): Promise<ByteSource> {
  const loc = await openLocation(src, opts);
  if (isFolder(loc)) throw new SourceError(loc.name, "is a directory: open it with openFolder() or openModel()");
  return loc;
}

// The input as a folder of files.
export async function openFolder(src: FolderInput, opts: SourceOptions = {}): Promise<Folder> {
  if (src instanceof Map) return mapFolder(src, opts.name ?? "(files)");
  if (typeof src === "string" || src instanceof URL) {
    const s = resolveInBrowser(String(src));
    if (isHttp(s)) return urlFolder(s.endsWith("/") ? s : s + "/", opts);
    const loc = await openPath(await localPath(s), opts);
    if (!isFolder(loc)) { await loc.close(); throw new SourceError(loc.name, "is a file, not a directory"); }
    return loc;
  }
  if (typeof (src as ArrayLike<FileLike>).length === "number") {
    const m = new Map<string, Blob>();
    for (const f of Array.from(src as ArrayLike<FileLike>)) m.set(baseName(f.webkitRelativePath || f.name || ""), f);
    const dir = Array.from(src as ArrayLike<FileLike>).find((f) => f.webkitRelativePath)?.webkitRelativePath?.split("/")[0];
    return mapFolder(m, opts.name ?? dir ?? "(files)");
  }
  throw new SourceError(String(src), "cannot be opened as a folder (pass a path, a URL ending in /, a FileList or a Map<string, Blob>)");
}

// A file or a folder, whichever the input is (openModel uses this to accept both).
export async function openLocation(src: SourceInput, opts: SourceOptions = {}): Promise<ByteSource | Folder> {
  if (src instanceof Uint8Array) return memorySource(src, opts.name ?? "(bytes)");
  if (src instanceof ArrayBuffer) return memorySource(new Uint8Array(src), opts.name ?? "(bytes)");
  if (typeof Blob !== "undefined" && src instanceof Blob) return blobSource(src, opts.name ?? ((src as FileLike).name || "(blob)"));
  if (typeof src === "string" || src instanceof URL) {
    const s = resolveInBrowser(String(src));
    if (isHttp(s)) return s.endsWith("/") ? urlFolder(s, opts) : download(s, opts);
    if (/^(blob|data):/i.test(s)) return download(s, opts);
    return openPath(await localPath(s), opts);
  }
  throw new SourceError(String(src), "cannot be opened (pass a path, URL, Blob, ArrayBuffer or Uint8Array)");
}

async function localPath(src: string | URL): Promise<string> {
  if (typeof src === "string" && !/^file:/i.test(src)) return src;
  const url = new URL(String(src));
  if (url.protocol !== "file:") throw new SourceError(url.href, `unsupported URL scheme ${url.protocol} (use http:, https: or file:)`);
  try {
    const { fileURLToPath } = await import("node:url");
    return fileURLToPath(url);
  } catch {
    throw new SourceError(url.href, "file: URLs can only be opened in Node or Deno");
  }
}

// ---- memory and Blob ----

export function memorySource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      checkRange(name, bytes.length, offset, length);
      const v = bytes.subarray(offset, offset + length);
      return v.byteOffset % 8 === 0 ? v : v.slice();
    },
    async close() {},
  };
}

export function blobSource(blob: Blob, name: string): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange(name, blob.size, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
    async close() {},
  };
}

function mapFolder(files: Map<string, Blob>, name: string): Folder {
  return {
    name,
    async tryOpen(file) {
      const b = files.get(file);
      return b ? blobSource(b, `${name}/${file}`) : undefined;
    },
    async list() { return [...files.keys()]; },
  };
}

// ---- local files (Node, Deno) ----

type FS = typeof import("node:fs/promises");

// imported once: a dynamic import() per file opened cost a little of Node's module-loader state
// each time
let fsModule: Promise<FS> | undefined;
async function loadFs(path: string): Promise<FS> {
  try {
    return await (fsModule ??= import("node:fs/promises"));
  } catch {
    fsModule = undefined;
    throw new SourceError(path, "file paths can only be opened in Node or Deno; pass a File, Blob, URL or bytes");
  }
}

function baseName(p: string): string { return p.slice(Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\")) + 1); }
function dirName(p: string): string {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i);
}
function joinPath(dir: string, name: string): string { return dir.endsWith("/") || dir.endsWith("\\") ? dir + name : `${dir}/${name}`; }

// checked with stat() before open(): opening a FIFO blocks until a writer comes, and a device
// has no size to check reads against
const NOT_REGULAR = "is not a regular file (a FIFO, socket or device?): budgetkv reads model files and folders";

async function openPath(path: string, opts: SourceOptions): Promise<ByteSource | Folder> {
  const fs = await loadFs(path);
  let st: Awaited<ReturnType<FS["stat"]>>;
  try {
    st = await fs.stat(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new SourceError(path, "no such file or directory", true);
    throw new SourceError(path, `cannot open: ${(e as Error).message}`);
  }
  if (st.isDirectory()) return pathFolder(fs, path, opts);
  if (!st.isFile()) throw new SourceError(path, NOT_REGULAR);
  return fileSource(fs, path, st.size, opts.name ?? path);
}

async function fileSource(fs: FS, path: string, size: number, name: string): Promise<ByteSource> {
  let fh: Awaited<ReturnType<FS["open"]>> | undefined;
  try {
    fh = await fs.open(path, "r");
  } catch (e) {
    throw new SourceError(name, `cannot open: ${(e as Error).message}`, (e as { code?: string }).code === "ENOENT");
  }
  const handle = fh;
  let closed = false;
  return {
    name,
    size,
    async read(offset, length) {
      if (closed) throw new SourceError(name, "read after close()");
      checkRange(name, size, offset, length);
      const buf = new Uint8Array(length);
      for (let done = 0; done < length;) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) throw new SourceError(name, `file ended at ${offset + done} bytes while reading (it was ${size} when opened)`);
        done += bytesRead;
      }
      return buf;
    },
    async openSibling(file) {
      const loc = await openPath(joinPath(dirName(path), file), {});
      if (isFolder(loc)) throw new SourceError(loc.name, "is a directory, expected a file");
      return loc;
    },
    async close() {
      if (!closed) { closed = true; await handle.close(); }
    },
  };
}

function pathFolder(fs: FS, dir: string, opts: SourceOptions): Folder {
  return {
    name: opts.name ?? dir,
    async tryOpen(file) {
      if (file.includes("/") || file.includes("\\") || file === ".." || file === ".") throw new SourceError(dir, `refusing to open ${JSON.stringify(file)} outside the folder`);
      const p = joinPath(dir, file);
      let st: Awaited<ReturnType<FS["stat"]>>;
      try {
        st = await fs.stat(p);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        throw new SourceError(p, `cannot open: ${(e as Error).message}`);
      }
      if (st.isDirectory()) return undefined;
      if (!st.isFile()) throw new SourceError(p, NOT_REGULAR);
      return fileSource(fs, p, st.size, p);
    },
    async list() { return (await fs.readdir(dir)).sort(); },
  };
}

// ---- http(s): the whole body, read as a stream so progress can be reported ----

async function download(url: string, opts: SourceOptions): Promise<ByteSource> {
  const name = opts.name ?? url;
  const res = await get(url, opts);
  if (!res) throw new SourceError(name, "not found (HTTP 404)", true);
  const bytes = await readBody(res, name, opts.onProgress);
  const src = memorySource(bytes, name);
  return { ...src, openSibling: (file) => download(new URL(file, url).href, { fetch: opts.fetch }) };
}

// undefined on 404; other failures throw
async function get(url: string, opts: SourceOptions): Promise<Response | undefined> {
  const f = opts.fetch ?? globalThis.fetch;
  if (typeof f !== "function") throw new SourceError(url, "fetch() is not available in this runtime");
  let res: Response;
  try {
    res = await f(url);
  } catch (e) {
    throw new SourceError(url, `fetch failed: ${(e as Error).message}`);
  }
  if (res.status === 404 || res.status === 410) { await res.body?.cancel(); return undefined; }
  if (!res.ok) { await res.body?.cancel(); throw new SourceError(url, `HTTP ${res.status} ${res.statusText}`); }
  return res;
}

async function readBody(res: Response, name: string, onProgress?: Progress): Promise<Uint8Array> {
  const encoded = res.headers.get("content-encoding");
  const len = Number(res.headers.get("content-length"));
  const total = !encoded && Number.isSafeInteger(len) && len >= 0 ? len : 0;
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    onProgress?.(b.length, b.length);
    return b;
  }
  const reader = res.body.getReader();
  let buf = new Uint8Array(total);
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (n + value.length > buf.length) {
        const grown = new Uint8Array(Math.max(buf.length * 2, n + value.length, 1 << 16));
        grown.set(buf.subarray(0, n));
        buf = grown;
      }
      buf.set(value, n);
      n += value.length;
      onProgress?.(n, total);
    }
  } catch (e) {
    throw new SourceError(name, `download failed after ${n} bytes: ${(e as Error).message}`);
  }
  if (total && n !== total) throw new SourceError(name, `download ended after ${n} of ${total} bytes`);
  return n === buf.length ? buf : buf.slice(0, n);
}

function urlFolder(base: string, opts: SourceOptions): Folder {
  return {
    name: opts.name ?? base,
    async tryOpen(file) {
      const url = new URL(file, base).href;
      const res = await get(url, opts);
      if (!res) return undefined;
      const src = memorySource(await readBody(res, url, opts.onProgress), url);
      return { ...src, openSibling: (f: string) => download(new URL(f, url).href, { fetch: opts.fetch }) };
    },
  };
}

// Helpers for optional and required files in a folder.
export async function readText(src: ByteSource): Promise<string> {
  try {
    return new TextDecoder("utf-8").decode(await src.read(0, src.size));
  } finally {
    await src.close();
  }
}

export async function openRequired(folder: Folder, file: string): Promise<ByteSource> {
  const s = await folder.tryOpen(file);
  if (!s) throw new SourceError(`${folder.name}/${file}`, "no such file", true);
  return s;
}
