// What grew between two V8 heap snapshots of one process (bench/longrun.ts --snapshots DIR writes
// them). Two views:
//   1. objects grouped by type and constructor or name, with the change in count and self size;
//   2. --retainers: the objects alive in B that were not in A (V8 keeps an object's snapshot id
//      for its life, across GCs and moves), each followed up its shortest strong retainer path
//      from the GC roots to the first object that was already alive in A: the old object that
//      holds the new ones. Grouped by that holder and the edge into the new part, so a list,
//      map or cache that gains entries every cycle shows as one line with its count and bytes.
//   node scripts/run-ts.mjs bench/heapdiff.ts A.heapsnapshot B.heapsnapshot [--top N] [--retainers]
//        [--paths N]   (--paths: also print N full root paths of the largest groups)
import { readFileSync } from "node:fs";

interface Raw {
  snapshot: { meta: { node_fields: string[]; node_types: (string | string[])[]; edge_fields: string[]; edge_types: (string | string[])[] }; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

// A snapshot's flat arrays with field offsets resolved.
class Snap {
  readonly nf: number; readonly ef: number;
  readonly iType: number; readonly iName: number; readonly iId: number; readonly iSize: number; readonly iEdges: number;
  readonly eType: number; readonly eName: number; readonly eTo: number;
  readonly types: string[]; readonly etypes: string[];
  readonly firstEdge: Uint32Array; // node ordinal -> index of its first edge in edges / ef
  readonly nodes: number[]; readonly edges: number[]; readonly strings: string[];
  readonly count: number;

  constructor(path: string) {
    const s = JSON.parse(readFileSync(path, "utf8")) as Raw;
    const m = s.snapshot.meta;
    this.nodes = s.nodes; this.edges = s.edges; this.strings = s.strings;
    this.nf = m.node_fields.length; this.ef = m.edge_fields.length;
    this.iType = m.node_fields.indexOf("type"); this.iName = m.node_fields.indexOf("name"); this.iId = m.node_fields.indexOf("id");
    this.iSize = m.node_fields.indexOf("self_size"); this.iEdges = m.node_fields.indexOf("edge_count");
    this.eType = m.edge_fields.indexOf("type"); this.eName = m.edge_fields.indexOf("name_or_index"); this.eTo = m.edge_fields.indexOf("to_node");
    this.types = m.node_types[this.iType] as string[]; this.etypes = m.edge_types[this.eType] as string[];
    this.count = s.nodes.length / this.nf;
    this.firstEdge = new Uint32Array(this.count + 1);
    for (let n = 0, e = 0; n < this.count; n++) { this.firstEdge[n] = e; e += s.nodes[n * this.nf + this.iEdges]; this.firstEdge[n + 1] = e; }
  }
  type(n: number): string { return this.types[this.nodes[n * this.nf + this.iType]]; }
  name(n: number): string { return this.strings[this.nodes[n * this.nf + this.iName]]; }
  id(n: number): number { return this.nodes[n * this.nf + this.iId]; }
  size(n: number): number { return this.nodes[n * this.nf + this.iSize]; }
  // strings are named by type alone: their names are their contents
  label(n: number): string {
    const t = this.type(n);
    return t === "object" || t === "closure" || t === "native" || t === "hidden" || t === "array" || t === "code" ? `${t}:${this.name(n).slice(0, 60)}` : `${t}:`;
  }
  edgeLabel(e: number): string {
    const t = this.etypes[this.edges[e * this.ef + this.eType]], v = this.edges[e * this.ef + this.eName];
    return t === "element" || t === "hidden" ? `[${t === "hidden" ? "h" : ""}${v}]` : `.${this.strings[v]?.slice(0, 40)}`;
  }
  edgeTo(e: number): number { return this.edges[e * this.ef + this.eTo] / this.nf; }
  weak(e: number): boolean { const t = this.etypes[this.edges[e * this.ef + this.eType]]; return t === "weak" || t === "shortcut"; }
}

function groups(s: Snap): Map<string, { count: number; bytes: number }> {
  const out = new Map<string, { count: number; bytes: number }>();
  for (let n = 0; n < s.count; n++) {
    const g = out.get(s.label(n)) ?? { count: 0, bytes: 0 };
    g.count++; g.bytes += s.size(n);
    out.set(s.label(n), g);
  }
  return out;
}

// shortest strong path from the synthetic root (node 0): parent node and the edge taken
function bfs(s: Snap): { parent: Int32Array; via: Int32Array } {
  const parent = new Int32Array(s.count).fill(-1), via = new Int32Array(s.count).fill(-1);
  const queue = new Int32Array(s.count);
  let head = 0, tail = 0;
  queue[tail++] = 0; parent[0] = 0;
  while (head < tail) {
    const n = queue[head++];
    for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) {
      if (s.weak(e)) continue;
      const to = s.edgeTo(e);
      if (parent[to] !== -1) continue;
      parent[to] = n; via[to] = e; queue[tail++] = to;
    }
  }
  return { parent, via };
}

const args = process.argv.slice(2);
const num = (k: string, d: number) => (args.includes(k) ? Number(args[args.indexOf(k) + 1]) : d);
const top = num("--top", 30), paths = num("--paths", 0);
// --only PREFIX: the retainer view for new objects whose type:name starts with PREFIX (e.g. "code:")
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : "";
const [pa, pb] = args.filter((x, i) => !x.startsWith("--") && !["--top", "--paths", "--only"].includes(args[i - 1]));
if (!pa || !pb) { console.error("usage: heapdiff.ts A.heapsnapshot B.heapsnapshot [--top N] [--retainers] [--paths N] [--only PREFIX]"); process.exit(2); }
const a = new Snap(pa), b = new Snap(pb);
const ga = groups(a), gb = groups(b);
const rows = [...new Set([...ga.keys(), ...gb.keys()])].map((k) => {
  const x = ga.get(k) ?? { count: 0, bytes: 0 }, y = gb.get(k) ?? { count: 0, bytes: 0 };
  return { k, dCount: y.count - x.count, dBytes: y.bytes - x.bytes, bytes: y.bytes };
}).filter((r) => r.dCount !== 0 || r.dBytes !== 0).sort((p, q) => Math.abs(q.dBytes) - Math.abs(p.dBytes));
const total = (g: Map<string, { bytes: number }>) => [...g.values()].reduce((s, v) => s + v.bytes, 0);
console.log(`self size: ${total(ga)} -> ${total(gb)} bytes (${total(gb) - total(ga) >= 0 ? "+" : ""}${total(gb) - total(ga)}), nodes ${a.count} -> ${b.count}`);
console.log(`${"d bytes".padStart(10)} ${"d count".padStart(8)} ${"bytes".padStart(10)}  type:name`);
for (const r of rows.slice(0, top)) console.log(`${String(r.dBytes).padStart(10)} ${String(r.dCount).padStart(8)} ${String(r.bytes).padStart(10)}  ${r.k}`);

if (args.includes("--retainers")) {
  const old = new Set<number>();
  for (let n = 0; n < a.count; n++) old.add(a.id(n));
  const { parent, via } = bfs(b);
  // holder group: the old object on the path nearest the new one, and the edge from it
  const held = new Map<string, { count: number; bytes: number; example: number }>();
  let nNew = 0, bytesNew = 0, unreached = 0;
  for (let n = 1; n < b.count; n++) {
    if (old.has(b.id(n)) || !b.label(n).startsWith(only)) continue;
    nNew++; bytesNew += b.size(n);
    if (parent[n] === -1) { unreached++; continue; }
    let c = n;
    while (c !== 0 && !old.has(b.id(parent[c]))) c = parent[c];
    const h = parent[c];
    const key = `${b.label(h)} #${b.id(h)} ${b.edgeLabel(via[c])} -> ${b.label(c)}`;
    const g = held.get(key) ?? { count: 0, bytes: 0, example: n };
    g.count++; g.bytes += b.size(n);
    held.set(key, g);
  }
  console.log(`\nobjects in B not in A: ${nNew} (${bytesNew} bytes self), ${unreached} reachable only through weak edges`);
  console.log(`${"bytes".padStart(10)} ${"count".padStart(7)}  old holder #id .edge -> first new object`);
  const sorted = [...held.entries()].sort((p, q) => q[1].bytes - p[1].bytes);
  for (const [k, g] of sorted.slice(0, top)) console.log(`${String(g.bytes).padStart(10)} ${String(g.count).padStart(7)}  ${k}`);
  for (const [k, g] of sorted.slice(0, paths)) {
    const chain: string[] = [];
    for (let c = g.example; c !== 0; c = parent[c]) chain.push(`${b.edgeLabel(via[c])} ${b.label(c)}${old.has(b.id(c)) ? "" : " (new)"}`);
    console.log(`\npath to one object of: ${k}\n  (root)${chain.reverse().map((x) => `\n  ${x}`).join("")}`);
  }
}
