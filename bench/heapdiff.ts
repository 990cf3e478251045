// What grew between two V8 heap snapshots (bench/longrun.ts --snapshots DIR writes them): objects
// grouped by type and constructor or name, with the change in count and self size, largest first.
//   node scripts/run-ts.mjs bench/heapdiff.ts A.heapsnapshot B.heapsnapshot [--top N]
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: (string | string[])[] } };
  nodes: number[];
  strings: string[];
}

// type:name -> { count, bytes }, from a snapshot's flat node array
function groups(path: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(path, "utf8")) as Snapshot;
  const f = s.snapshot.meta.node_fields, nf = f.length;
  const iType = f.indexOf("type"), iName = f.indexOf("name"), iSize = f.indexOf("self_size");
  const types = s.snapshot.meta.node_types[iType] as string[];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += nf) {
    const type = types[s.nodes[i + iType]];
    // strings and code are grouped by type alone: their names are their contents
    const name = type === "object" || type === "closure" || type === "native" ? s.strings[s.nodes[i + iName]].slice(0, 60) : "";
    const key = `${type}:${name}`;
    const g = out.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += s.nodes[i + iSize];
    out.set(key, g);
  }
  return out;
}

const args = process.argv.slice(2);
const top = args.includes("--top") ? Number(args[args.indexOf("--top") + 1]) : 30;
const [a, b] = args.filter((x, i) => !x.startsWith("--") && args[i - 1] !== "--top");
if (!a || !b) { console.error("usage: heapdiff.ts A.heapsnapshot B.heapsnapshot [--top N]"); process.exit(2); }
const ga = groups(a), gb = groups(b);
const rows = [...new Set([...ga.keys(), ...gb.keys()])].map((k) => {
  const x = ga.get(k) ?? { count: 0, bytes: 0 }, y = gb.get(k) ?? { count: 0, bytes: 0 };
  return { k, dCount: y.count - x.count, dBytes: y.bytes - x.bytes, bytes: y.bytes };
}).filter((r) => r.dCount !== 0 || r.dBytes !== 0).sort((p, q) => Math.abs(q.dBytes) - Math.abs(p.dBytes));
const total = (g: Map<string, { bytes: number }>) => [...g.values()].reduce((s, v) => s + v.bytes, 0);
console.log(`self size: ${total(ga)} -> ${total(gb)} bytes (${total(gb) - total(ga) >= 0 ? "+" : ""}${total(gb) - total(ga)})`);
console.log(`${"d bytes".padStart(10)} ${"d count".padStart(8)} ${"bytes".padStart(10)}  type:name`);
for (const r of rows.slice(0, top)) console.log(`${String(r.dBytes).padStart(10)} ${String(r.dCount).padStart(8)} ${String(r.bytes).padStart(10)}  ${r.k}`);
