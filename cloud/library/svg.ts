/** Small SVG helpers for the library gallery: escaping, number labels, axis ticks, polylines. */

/** Text safe for SVG element content and attribute values. */
export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A coordinate with two decimals (never NaN: non-finite values become 0). */
export function coord(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

/** A short label: 3 significant digits, exponent form for very large or small magnitudes. */
export function shortNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const m = Math.abs(v);
  const text =
    m >= 1e4 || m < 1e-3 ? v.toExponential(1).replace('e+', 'e') : String(Number(v.toPrecision(3)));
  return text.replace(/^-/, '−');
}

/** Tick values covering [lo, hi] at a 1-2-5 step, about `target` of them. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [lo];
  const raw = (hi - lo) / Math.max(target, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return ticks;
}

/** Path data through the points, starting a new piece after any non-finite point. */
export function pathData(xs: readonly number[], ys: readonly number[]): string {
  const parts: string[] = [];
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${coord(xs[i])} ${coord(ys[i])}`);
    pen = true;
  }
  return parts.join(' ');
}
