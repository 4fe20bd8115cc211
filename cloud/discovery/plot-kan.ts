/**
 * The trained KAN as an SVG, after pykan's model.plot(): nodes in rows (inputs at the bottom,
 * the output on top), every edge a line from its input node to its output node with a small
 * panel showing its curve φ(x) over the edge's grid range. Edges that pruning masked are drawn
 * faint; snapped edges carry their closed form as a label.
 */

import type { Kan } from '../kan/kan.js';
import { coord, escapeXml } from '../library/svg.js';
import type { EdgeReport } from './discover.js';

export interface PlotKanOptions {
  readonly title?: string;
  /** Points per edge curve. @defaultValue 40 */
  readonly points?: number;
}

const PANEL_W = 56;
const PANEL_H = 36;
const COL_W = 96;
const ROW_H = 170;
const MARGIN = 40;

/** Polyline points of f over [lo, hi] scaled into a w × h box at (x0, y0). */
function curvePoints(f: (x: number) => number, lo: number, hi: number, n: number, box: number[]): string {
  const [x0, y0, w, h] = box as [number, number, number, number];
  const xs = Array.from({ length: n }, (_, k) => lo + ((hi - lo) * k) / (n - 1));
  const ys = xs.map(f);
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const v of ys) if (Number.isFinite(v)) [ymin, ymax] = [Math.min(ymin, v), Math.max(ymax, v)];
  const span = ymax - ymin > 1e-12 ? ymax - ymin : 1;
  const mid = ymax - ymin > 1e-12 ? ymin : ymin - 0.5;
  return xs
    .map((_, k) => {
      const v = Number.isFinite(ys[k]!) ? ys[k]! : mid;
      return `${coord(x0 + (w * k) / (n - 1))},${coord(y0 + h - (h * (v - mid)) / span)}`;
    })
    .join(' ');
}

export function plotKanSvg(kan: Kan, edges: readonly EdgeReport[], o: PlotKanOptions = {}): string {
  const n = o.points ?? 40;
  const widest = Math.max(...kan.width);
  const W = Math.max(2 * MARGIN + widest * COL_W, 360);
  const L = kan.width.length;
  const H = 2 * MARGIN + (L - 1) * ROW_H + 30;
  const nodeX = (l: number, i: number) => W / 2 + (i - (kan.width[l]! - 1) / 2) * COL_W;
  const nodeY = (l: number) => H - MARGIN - l * ROW_H;
  const labels = new Map(edges.map((e) => [`${e.layer},${e.i},${e.j}`, e.label]));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${coord(W)}" height="${coord(H)}" viewBox="0 0 ${coord(W)} ${coord(H)}" font-family="sans-serif" font-size="10">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (o.title)
    parts.push(
      `<text x="${coord(W / 2)}" y="16" text-anchor="middle" font-size="12">${escapeXml(o.title)}</text>`,
    );
  kan.layers.forEach((layer, l) => {
    for (let i = 0; i < layer.nIn; i++) {
      for (let j = 0; j < layer.nOut; j++) {
        const e = i * layer.nOut + j;
        const active = layer.mask[e] !== 0 || layer.symbolic[e] !== null;
        const label = labels.get(`${l},${i},${j}`) ?? null;
        const [x1, y1, x2, y2] = [nodeX(l, i), nodeY(l) - 4, nodeX(l + 1, j), nodeY(l + 1) + 4];
        const cx = x1 + (x2 - x1) * 0.45;
        const cy = y1 + (y2 - y1) * 0.45;
        const opacity = active ? 1 : 0.15;
        parts.push(
          `<g opacity="${opacity}" data-edge="${l},${i},${j}" data-state="${active ? (label ? 'snapped' : 'spline') : 'pruned'}">`,
          `<line x1="${coord(x1)}" y1="${coord(y1)}" x2="${coord(x2)}" y2="${coord(y2)}" stroke="#555" stroke-width="1"/>`,
          `<rect x="${coord(cx - PANEL_W / 2)}" y="${coord(cy - PANEL_H / 2)}" width="${PANEL_W}" height="${PANEL_H}" fill="white" stroke="#999"/>`,
        );
        const [lo, hi] = kan.edgeRange(l, i, j);
        const box = [cx - PANEL_W / 2 + 3, cy - PANEL_H / 2 + 3, PANEL_W - 6, PANEL_H - 6];
        parts.push(
          `<polyline fill="none" stroke="${label ? '#c0392b' : '#1f4e99'}" stroke-width="1.5" points="${curvePoints(kan.edgeFunction(l, i, j), lo, hi, n, box)}"/>`,
        );
        if (label && active) {
          parts.push(
            `<text x="${coord(cx)}" y="${coord(cy + PANEL_H / 2 + 11)}" text-anchor="middle" fill="#c0392b">${escapeXml(label)}</text>`,
          );
        }
        parts.push('</g>');
      }
    }
  });
  kan.width.forEach((w, l) => {
    for (let i = 0; i < w; i++)
      parts.push(`<circle cx="${coord(nodeX(l, i))}" cy="${coord(nodeY(l))}" r="4" fill="black"/>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
