/**
 * The library gallery as one SVG document: a title with the library's version, hash prefix and
 * parent, a legend of forms, and a grid of panels (panel.ts), one per entry in library order.
 * Pure: takes the library, returns the text; writing it is the caller's business.
 */
import type { ActivationLibrary } from '../../shared/library/library.js';
import { FORM_COLORS, PANEL_HEIGHT, PANEL_WIDTH, panelSvg, TAIL_REACH } from './panel.js';
import { escapeXml } from './svg.js';

export interface GalleryOptions {
  /** Panels per row (fewer when the library is smaller). @defaultValue 4 */
  readonly columns?: number;
}

const GAP = 16;
const MARGIN = 24;
const HEADER = 76;

const STYLE = `
text { font-family: 'DejaVu Sans', 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; fill: #24292f; }
.title { font-size: 20px; font-weight: 700; }
.subtitle { font-size: 12.5px; fill: #57606a; }
.name { font-size: 15px; font-weight: 700; }
.badge { font-size: 11px; fill: #fff; text-anchor: middle; font-weight: 600; }
.meta { font-size: 11px; fill: #57606a; }
.tick { font-size: 10px; fill: #57606a; }
.axis { font-size: 10px; fill: #57606a; font-style: italic; }
.tail-label { font-size: 9.5px; fill: #8a949e; text-anchor: middle; }
`;

/** The gallery SVG of a library. */
export function librarySvg(lib: ActivationLibrary, options: GalleryOptions = {}): string {
  const n = lib.entries.length;
  const cols = Math.max(1, Math.min(options.columns ?? 4, n));
  const rows = Math.ceil(n / cols);
  const width = 2 * MARGIN + cols * PANEL_WIDTH + (cols - 1) * GAP;
  const height = MARGIN + HEADER + rows * PANEL_HEIGHT + (rows - 1) * GAP + MARGIN;
  const parent = lib.parent ? ` · parent v${lib.parent.version} (${lib.parent.hash.slice(0, 8)})` : '';
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  );
  out.push(`<style>${STYLE}</style>`);
  out.push(
    '<defs><pattern id="tail-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="6" height="6" fill="#eef1f4"/><line x1="0" y1="0" x2="0" y2="6" stroke="#dde2e7" stroke-width="2"/>' +
      '</pattern></defs>',
  );
  out.push(`<rect width="${width}" height="${height}" fill="#f3f5f7"/>`);
  out.push(
    `<text x="${MARGIN}" y="${MARGIN + 20}" class="title">${escapeXml(
      `Activation library v${lib.version} · hash ${lib.hash.slice(0, 12)} · ${n} entr${n === 1 ? 'y' : 'ies'}${parent}`,
    )}</text>`,
  );
  out.push(
    `<text x="${MARGIN}" y="${MARGIN + 42}" class="subtitle">${escapeXml(
      `Each curve is the entry's natural function y = c·ψ(a·x + b) + d. Hatched: tails, where |a·x + b| > 1 ` +
        `(outside the canonical domain; shown to |z| = ${TAIL_REACH}).`,
    )}</text>`,
  );
  let lx = MARGIN;
  for (const [form, color] of Object.entries(FORM_COLORS)) {
    out.push(`<rect x="${lx}" y="${MARGIN + 52}" width="22" height="4" rx="2" fill="${color}"/>`);
    out.push(`<text x="${lx + 28}" y="${MARGIN + 58}" class="subtitle">${form}</text>`);
    lx += 40 + 8 * form.length;
  }
  lib.entries.forEach((e, i) => {
    const x = MARGIN + (i % cols) * (PANEL_WIDTH + GAP);
    const y = MARGIN + HEADER + Math.floor(i / cols) * (PANEL_HEIGHT + GAP);
    out.push(panelSvg(e, x, y, i));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
