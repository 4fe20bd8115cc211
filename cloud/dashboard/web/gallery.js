// The library gallery: one card per entry with its canonical curve ψ(z) as a small SVG (the
// tails, |z| > 1, shaded), its form, tail policy, provenance, usage, cost, fit error and
// gradient behaviour. The curve points come from the server, computed by the shared
// activation code, so the picture is what devices evaluate.
import { esc, num } from './dom.js';

const W = 240;
const H = 120;
const PAD = 6;
const FORM_COLORS = /** @type {Record<string, string>} */ ({
  classic: '#1f6fb4',
  symbolic: '#2a9d3f',
  chebyshev: '#d1495b',
  rational: '#8a4fbf',
});

/**
 * @typedef {{ id: string, name: string, form: string, formDetail: string, tail: string,
 *   provenance: Record<string, unknown> & { source: string }, usage: { count: number, byTask: Record<string, number> },
 *   cost: { opsPerElement: number, nsPerElement?: number }, fitError: { maxAbs: number, rms: number },
 *   gradient: { lipschitz: number, monotone: string, bounded: boolean, smoothness: string },
 *   curve: { z: number[], psi: (number | null)[] } }} Entry
 */

/** @param {Entry['curve']} curve @param {string} color */
function curveSvg(curve, color) {
  const { z, psi } = curve;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of psi) {
    if (v == null) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi >= lo)) [lo, hi] = [-1, 1];
  const pad = hi > lo ? 0.08 * (hi - lo) : 1;
  lo -= pad;
  hi += pad;
  const z0 = z[0] ?? -1.5;
  const z1 = z[z.length - 1] ?? 1.5;
  const px = (/** @type {number} */ v) => PAD + ((v - z0) / (z1 - z0)) * (W - 2 * PAD);
  const py = (/** @type {number} */ v) => H - PAD - ((v - lo) / (hi - lo)) * (H - 2 * PAD);
  let d = '';
  let pen = 'M';
  psi.forEach((v, i) => {
    if (v == null) {
      pen = 'M';
      return;
    }
    d += `${pen}${px(z[i] ?? 0).toFixed(1)},${py(v).toFixed(1)}`;
    pen = 'L';
  });
  const tails =
    `<rect x="${PAD}" y="0" width="${(px(-1) - PAD).toFixed(1)}" height="${H}" class="tail"/>` +
    `<rect x="${px(1).toFixed(1)}" y="0" width="${(W - PAD - px(1)).toFixed(1)}" height="${H}" class="tail"/>`;
  const axes =
    (lo < 0 && hi > 0
      ? `<line x1="0" x2="${W}" y1="${py(0).toFixed(1)}" y2="${py(0).toFixed(1)}" class="axis"/>`
      : '') + `<line x1="${px(0).toFixed(1)}" x2="${px(0).toFixed(1)}" y1="0" y2="${H}" class="axis"/>`;
  return (
    `<svg viewBox="0 0 ${W} ${H}" class="curve" role="img" aria-label="curve">${tails}${axes}` +
    `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/></svg>`
  );
}

/** @param {Entry['provenance']} p */
function provenance(p) {
  const parts = [p.source];
  if (p.family) parts.push(String(p.family));
  if (p.run) parts.push(`run ${p.run}`);
  if (p.layer !== undefined) parts.push(`layer ${p.layer}`);
  if (p.edge) parts.push(`edge ${p.edge}`);
  return parts.join(' · ');
}

/** @param {Entry} e */
function card(e) {
  const color = FORM_COLORS[e.form] ?? '#444';
  const tasks = Object.entries(e.usage.byTask)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  const g = e.gradient;
  const fit = e.fitError.rms === 0 ? 'exact' : `rms ${num(e.fitError.rms)} · max ${num(e.fitError.maxAbs)}`;
  const ns = e.cost.nsPerElement === undefined ? '' : ` · ${num(e.cost.nsPerElement)} ns`;
  return (
    `<article class="card entry" data-id="${esc(e.id)}">` +
    `<header><b>${esc(e.name)}</b><span class="badge" style="background:${color}">${esc(e.form)}</span></header>` +
    curveSvg(e.curve, color) +
    `<dl><dt>form</dt><dd>${esc(e.formDetail)} · tail ${esc(e.tail)}</dd>` +
    `<dt>from</dt><dd>${esc(provenance(e.provenance))}</dd>` +
    `<dt>usage</dt><dd>${e.usage.count}${tasks ? ` (${esc(tasks)})` : ''}</dd>` +
    `<dt>cost</dt><dd>${e.cost.opsPerElement} ops/elt${ns}</dd>` +
    `<dt>fit</dt><dd>${fit}</dd>` +
    `<dt>grad</dt><dd>Lip ${num(g.lipschitz)} · ${esc(g.monotone)} · ${g.bounded ? 'bounded' : 'unbounded'} · ${esc(g.smoothness)}</dd></dl>` +
    `<footer class="muted">id ${esc(e.id)}</footer></article>`
  );
}

/**
 * @param {HTMLElement} title
 * @param {HTMLElement} root
 * @param {{ source: string, version: number, hash: string, entries: Entry[] }} lib
 */
export function renderGallery(title, root, lib) {
  const what = lib.source === 'classic' ? 'built-in classic library' : `library v${lib.version}`;
  title.textContent = `Activation library · ${what} · ${lib.entries.length} entries · hash ${lib.hash.slice(0, 12)}`;
  root.innerHTML = lib.entries.map(card).join('');
  root.dataset.entries = String(lib.entries.length);
}
