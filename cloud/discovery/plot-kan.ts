/**
 * The trained KAN as an SVG, after pykan's model.plot(): nodes in rows (inputs at the bottom,
 * the output on top); between two node rows, one panel per edge (in edge order, so panels never
 * overlap) showing its curve φ(x) over the edge's grid range, wired from its input node below to
 * its output node above. Edges that pruning masked are drawn faint; snapped edges carry their
 * closed form as a label.
 */

import type { Kan } from '../kan/kan.js';
import { nodeOfSub } from '../kan/mult.js';
import { coord, escapeXml } from '../library/svg.js';
import type { EdgeReport } from './discover.js';

export interface PlotKanOptions {
  readonly title?: string;
  /** Points per edge curve. @defaultValue 40 */
  readonly points?: number;
}

const PANEL_W = 56;
const PANEL_H = 36;
const SLOT_W = 64;
const NODE_GAP = 80;
const ROW_H = 190;
const MARGIN = 40;
const TITLE_H = 30;

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
  const L = kan.width.length;
  const slots = Math.max(...kan.layers.map((layer) => layer.nIn * layer.nOut));
  const nodes = Math.max(...kan.width);
  const W = Math.max(2 * MARGIN + slots * SLOT_W, 2 * MARGIN + nodes * NODE_GAP, 360);
  const H = 2 * MARGIN + TITLE_H + (L - 1) * ROW_H;
  const nodeX = (l: number, i: number) => W / 2 + (i - (kan.width[l]! - 1) / 2) * NODE_GAP;
  const nodeY = (l: number) => H - MARGIN - l * ROW_H;
  const labels = new Map(edges.map((e) => [`${e.layer},${e.i},${e.j}`, e.label]));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${coord(W)}" height="${coord(H)}" viewBox="0 0 ${coord(W)} ${coord(H)}" font-family="sans-serif" font-size="9">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (o.title) parts.push(`<text x="8" y="16" font-size="11">${escapeXml(o.title)}</text>`);
  kan.layers.forEach((layer, l) => {
    const count = layer.nIn * layer.nOut;
    const cy = (nodeY(l) + nodeY(l + 1)) / 2;
    for (let i = 0; i < layer.nIn; i++) {
      for (let j = 0; j < layer.nOut; j++) {
        const e = i * layer.nOut + j;
        const active = layer.mask[e] !== 0 || layer.symbolic[e] !== null;
        const label = labels.get(`${l},${i},${j}`) ?? null;
        const cx = W / 2 + (e - (count - 1) / 2) * SLOT_W;
        const state = active ? (label ? 'snapped' : 'spline') : 'pruned';
        parts.push(
          `<g opacity="${active ? 1 : 0.15}" data-edge="${l},${i},${j}" data-state="${state}">`,
          `<line x1="${coord(nodeX(l, i))}" y1="${coord(nodeY(l) - 4)}" x2="${coord(cx)}" y2="${coord(cy + PANEL_H / 2)}" stroke="#555"/>`,
          `<line x1="${coord(cx)}" y1="${coord(cy - PANEL_H / 2)}" x2="${coord(nodeX(l + 1, nodeOfSub(j, layer.nOut, layer.mult ?? 0)))}" y2="${coord(nodeY(l + 1) + 4)}" stroke="#555"/>`,
          `<rect x="${coord(cx - PANEL_W / 2)}" y="${coord(cy - PANEL_H / 2)}" width="${PANEL_W}" height="${PANEL_H}" fill="white" stroke="#999"/>`,
        );
        const [lo, hi] = kan.edgeRange(l, i, j);
        const box = [cx - PANEL_W / 2 + 3, cy - PANEL_H / 2 + 3, PANEL_W - 6, PANEL_H - 6];
        parts.push(
          `<polyline fill="none" stroke="${label ? '#c0392b' : '#1f4e99'}" stroke-width="1.5" points="${curvePoints(kan.edgeFunction(l, i, j), lo, hi, n, box)}"/>`,
        );
        if (label && active) {
          // alternate above and below so neighbouring labels do not collide
          const ly = e % 2 === 0 ? cy + PANEL_H / 2 + 10 : cy - PANEL_H / 2 - 4;
          parts.push(
            `<text x="${coord(cx)}" y="${coord(ly)}" text-anchor="middle" fill="#c0392b">${escapeXml(label)}</text>`,
          );
        }
        parts.push('</g>');
      }
    }
  });
  kan.width.forEach((w, l) => {
    // a product node (cloud/kan/mult.ts) is drawn open, with a ×
    for (let i = 0; i < w; i++)
      parts.push(
        i < w - kan.mult[l]!
          ? `<circle cx="${coord(nodeX(l, i))}" cy="${coord(nodeY(l))}" r="4" fill="black"/>`
          : `<circle cx="${coord(nodeX(l, i))}" cy="${coord(nodeY(l))}" r="6" fill="white" stroke="black" data-node="product"/><text x="${coord(nodeX(l, i))}" y="${coord(nodeY(l) + 3)}" text-anchor="middle">×</text>`,
      );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
