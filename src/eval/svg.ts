// The eval's trade-off plot: kept ratio (x) against top-1 agreement (y). Fixed-budget policies
// are lines through their budgets; adaptive policies are labelled points; a dashed line marks the
// top-1 target when one is given.
import type { PolicyResult } from "./evaluate.ts";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export function tradeoffSvg(results: PolicyResult[], title: string, target?: number): string {
  const W = 720, H = 480, ml = 64, mr = 180, mt = 40, mb = 52;
  const pw = W - ml - mr, ph = H - mt - mb;
  const ys = results.map((r) => r.top1_agreement).filter(Number.isFinite);
  const y0 = Math.max(0, Math.floor((Math.min(...ys) - 0.01) * 50) / 50), y1 = 1;
  const x0 = Math.max(0, Math.floor(Math.min(...results.map((r) => r.kept_ratio)) * 10) / 10), x1 = 1;
  const X = (x: number) => ml + ((x - x0) / (x1 - x0 || 1)) * pw;
  const Y = (y: number) => mt + (1 - (y - y0) / (y1 - y0 || 1)) * ph;
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${ml}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const xv = x0 + ((x1 - x0) * i) / 5, yv = y0 + ((y1 - y0) * i) / 5;
    out.push(`<line x1="${X(xv)}" y1="${mt}" x2="${X(xv)}" y2="${mt + ph}" stroke="#eee"/><text x="${X(xv)}" y="${mt + ph + 16}" text-anchor="middle">${xv.toFixed(2)}</text>`);
    out.push(`<line x1="${ml}" y1="${Y(yv)}" x2="${ml + pw}" y2="${Y(yv)}" stroke="#eee"/><text x="${ml - 6}" y="${Y(yv) + 4}" text-anchor="end">${yv.toFixed(3)}</text>`);
  }
  out.push(`<rect x="${ml}" y="${mt}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (target !== undefined && target >= y0 && target <= y1) out.push(`<line x1="${ml}" y1="${Y(target)}" x2="${ml + pw}" y2="${Y(target)}" stroke="#d00" stroke-dasharray="6 4"/><text x="${ml + 4}" y="${Y(target) - 4}" fill="#d00">top-1 ${target}</text>`);
  out.push(`<text x="${ml + pw / 2}" y="${H - 12}" text-anchor="middle">kept ratio (mean over layers)</text>`);
  out.push(`<text transform="translate(16 ${mt + ph / 2}) rotate(-90)" text-anchor="middle">top-1 agreement with the full cache</text>`);
  const families = [...new Set(results.filter((r) => !r.adaptive && r.family !== "full").map((r) => r.family))];
  const full = results.find((r) => r.family === "full");
  let legend = 0;
  families.forEach((fam, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = results.filter((r) => r.family === fam).concat(full ? [full] : []).sort((a, b) => a.kept_ratio - b.kept_ratio);
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${X(p.kept_ratio).toFixed(1)},${Y(p.top1_agreement).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${X(p.kept_ratio).toFixed(1)}" cy="${Y(p.top1_agreement).toFixed(1)}" r="3" fill="${c}"/>`);
    out.push(`<line x1="${W - mr + 12}" y1="${mt + 10 + legend * 18}" x2="${W - mr + 32}" y2="${mt + 10 + legend * 18}" stroke="${c}" stroke-width="2"/><text x="${W - mr + 38}" y="${mt + 14 + legend * 18}">${esc(fam)} (fixed)</text>`);
    legend++;
  });
  results.filter((r) => r.adaptive).forEach((r, i) => {
    const c = COLORS[(families.length + i) % COLORS.length];
    const x = X(r.kept_ratio), y = Y(r.top1_agreement);
    out.push(`<path d="M${x - 6},${y} L${x},${y - 6} L${x + 6},${y} L${x},${y + 6} Z" fill="${c}" stroke="#000"/>`);
    out.push(`<text x="${x + 8}" y="${y - 8}">${esc(r.name)}</text>`);
    out.push(`<path d="M${W - mr + 22 - 5},${mt + 10 + legend * 18} l5,-5 l5,5 l-5,5 Z" fill="${c}"/><text x="${W - mr + 38}" y="${mt + 14 + legend * 18}">${esc(r.name)}</text>`);
    legend++;
  });
  out.push(`</svg>`);
  return out.join("\n");
}
