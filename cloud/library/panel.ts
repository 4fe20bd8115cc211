/**
 * One gallery panel: an entry's natural function y = c·ψ(a·x + b) + d drawn over the inputs
 * that map to z ∈ [-TAIL_REACH, TAIL_REACH], with the tails (|z| > 1, outside the canonical
 * domain) shaded, axes with ticks, and the entry's name, form, id prefix, provenance, fit error,
 * Lipschitz bound and usage.
 */
import type { ActivationEntry } from '../../shared/activations/index.js';
import { evaluateNatural, evenlySpaced } from '../../shared/library/evaluate.js';
import { coord, escapeXml, niceTicks, pathData, shortNumber } from './svg.js';

export const PANEL_WIDTH = 300;
export const PANEL_HEIGHT = 240;
/** The plot shows z ∈ [-TAIL_REACH, TAIL_REACH] of the canonical coordinate. */
export const TAIL_REACH = 1.5;
const SAMPLES = 241;
const PLOT = { left: 48, right: PANEL_WIDTH - 14, top: 54, bottom: 170 };

export const FORM_COLORS: Readonly<Record<string, string>> = Object.freeze({
  classic: '#1f6fb4',
  symbolic: '#2a9d3f',
  chebyshev: '#d1495b',
  rational: '#8a4fbf',
});

/** The input interval that maps to z ∈ [zLo, zHi] under the entry's natural affine. */
function inputRange(e: ActivationEntry, zLo: number, zHi: number): [number, number] {
  const { a, b } = e.natural;
  if (!Number.isFinite(a) || a === 0) return [zLo, zHi];
  const p = (zLo - b) / a;
  const q = (zHi - b) / a;
  return p < q ? [p, q] : [q, p];
}

function yRange(ys: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const y of ys) {
    if (!Number.isFinite(y)) continue;
    lo = Math.min(lo, y);
    hi = Math.max(hi, y);
  }
  if (!(hi >= lo)) return [-1, 1];
  const pad = hi > lo ? 0.08 * (hi - lo) : Math.max(1, Math.abs(hi)) * 0.5;
  return [lo - pad, hi + pad];
}

function provenanceLine(e: ActivationEntry): string {
  const p = e.meta.provenance;
  const parts: string[] = [p.source];
  if (p.family) parts.push(p.family);
  if (p.run) parts.push(`run ${p.run}`);
  if (p.layer !== undefined) parts.push(`layer ${p.layer}`);
  if (p.edge) parts.push(`edge ${p.edge}`);
  return parts.join(' · ');
}

function statsLine(e: ActivationEntry): string {
  const u = e.meta.usage;
  const tasks = Object.keys(u.byTask).length;
  const fit = e.meta.fitError.rms === 0 ? 'exact' : `fit rms ${shortNumber(e.meta.fitError.rms)}`;
  return `${fit} · Lip(ψ) ${shortNumber(e.meta.gradient.lipschitz)} · used ${u.count}${tasks ? ` (${tasks} task${tasks > 1 ? 's' : ''})` : ''}`;
}

/** SVG for one entry's panel with its top-left corner at (x0, y0); `key` makes its ids unique. */
export function panelSvg(e: ActivationEntry, x0: number, y0: number, key: number): string {
  const [xLo, xHi] = inputRange(e, -TAIL_REACH, TAIL_REACH);
  const [dLo, dHi] = inputRange(e, -1, 1);
  const xs = evenlySpaced(xLo, xHi, SAMPLES);
  const ys = evaluateNatural(e, xs);
  const [yLo, yHi] = yRange(ys);
  const px = (x: number) => PLOT.left + ((x - xLo) / (xHi - xLo)) * (PLOT.right - PLOT.left);
  const py = (y: number) => PLOT.bottom - ((y - yLo) / (yHi - yLo)) * (PLOT.bottom - PLOT.top);
  const color = FORM_COLORS[e.form] ?? '#444';
  const w = PLOT.right - PLOT.left;
  const h = PLOT.bottom - PLOT.top;
  const out: string[] = [];
  out.push(`<g class="panel" data-id="${e.id}" transform="translate(${coord(x0)} ${coord(y0)})">`);
  out.push(`<title>${escapeXml(`${e.name} (${e.form}, id ${e.id})`)}</title>`);
  out.push(
    `<rect class="card" width="${PANEL_WIDTH}" height="${PANEL_HEIGHT}" rx="8" fill="#fff" stroke="#d4dae1"/>`,
  );
  out.push(`<text x="14" y="22" class="name">${escapeXml(e.name)}</text>`);
  const badgeW = 14 + 7 * e.form.length;
  out.push(
    `<rect x="${coord(PANEL_WIDTH - 12 - badgeW)}" y="9" width="${coord(badgeW)}" height="18" rx="9" fill="${color}"/>`,
    `<text x="${coord(PANEL_WIDTH - 12 - badgeW / 2)}" y="22" class="badge">${e.form}</text>`,
  );
  out.push(
    `<text x="14" y="40" class="meta">id ${e.id.slice(0, 8)} · tail ${e.tail} · ${e.meta.gradient.monotone}</text>`,
  );
  out.push(
    `<clipPath id="clip-${key}"><rect x="${PLOT.left}" y="${PLOT.top}" width="${w}" height="${h}"/></clipPath>`,
  );
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${w}" height="${h}" fill="#fafbfc"/>`);
  // tails: |z| > 1
  for (const [l, r] of [
    [xLo, dLo],
    [dHi, xHi],
  ]) {
    out.push(
      `<rect class="tail" x="${coord(px(l))}" y="${PLOT.top}" width="${coord(px(r) - px(l))}" height="${h}" fill="url(#tail-hatch)"/>`,
    );
  }
  for (const d of [dLo, dHi]) {
    out.push(
      `<line x1="${coord(px(d))}" y1="${PLOT.top}" x2="${coord(px(d))}" y2="${PLOT.bottom}" stroke="#9aa5b1" stroke-dasharray="3 3"/>`,
    );
  }
  out.push(`<text x="${coord((px(xLo) + px(dLo)) / 2)}" y="${PLOT.top - 4}" class="tail-label">tail</text>`);
  out.push(`<text x="${coord((px(dHi) + px(xHi)) / 2)}" y="${PLOT.top - 4}" class="tail-label">tail</text>`);
  const xt = niceTicks(xLo, xHi, 5).filter((t) => t >= xLo && t <= xHi);
  const yt = niceTicks(yLo, yHi, 5).filter((t) => t >= yLo && t <= yHi);
  for (const t of xt) {
    const X = coord(px(t));
    const grid = t === 0 ? '#aab4bf' : '#e6eaee';
    out.push(`<line x1="${X}" y1="${PLOT.top}" x2="${X}" y2="${PLOT.bottom}" stroke="${grid}"/>`);
    out.push(`<line x1="${X}" y1="${PLOT.bottom}" x2="${X}" y2="${PLOT.bottom + 4}" stroke="#555"/>`);
    out.push(
      `<text x="${X}" y="${PLOT.bottom + 15}" class="tick" text-anchor="middle">${shortNumber(t)}</text>`,
    );
  }
  for (const t of yt) {
    const Y = coord(py(t));
    const grid = t === 0 ? '#aab4bf' : '#e6eaee';
    out.push(`<line x1="${PLOT.left}" y1="${Y}" x2="${PLOT.right}" y2="${Y}" stroke="${grid}"/>`);
    out.push(`<line x1="${PLOT.left - 4}" y1="${Y}" x2="${PLOT.left}" y2="${Y}" stroke="#555"/>`);
    out.push(
      `<text x="${PLOT.left - 7}" y="${coord(py(t) + 3.5)}" class="tick" text-anchor="end">${shortNumber(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${w}" height="${h}" fill="none" stroke="#8a949e"/>`,
  );
  const curve = pathData(
    Array.from(xs, px),
    Array.from(ys, (y) => (Number.isFinite(y) ? py(y) : Number.NaN)),
  );
  out.push(
    `<path class="curve" d="${curve}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round" clip-path="url(#clip-${key})"/>`,
  );
  out.push(`<text x="${PLOT.right}" y="${PLOT.bottom + 28}" class="axis" text-anchor="end">x</text>`);
  out.push(`<text x="14" y="${PLOT.bottom + 48}" class="meta">${escapeXml(provenanceLine(e))}</text>`);
  out.push(`<text x="14" y="${PLOT.bottom + 64}" class="meta">${escapeXml(statsLine(e))}</text>`);
  out.push('</g>');
  return out.join('\n');
}
