/**
 * Readable text of a formula tree: constants to 4 significant digits (trailing zeros dropped),
 * snapped constants by name (π, e), coefficients of 1 left out, x2/x3/x4 as (…)²/³/⁴, inv as 1/(…),
 * gauss as exp(-(…)²), abs as |…|, a spline edge as s[l,i,j](…). Parentheses only where needed.
 */
import type { Atom, Lin } from './formula-tree.js';

const NAMED: readonly [number, string][] = [
  [Math.PI, 'π'],
  [Math.PI / 2, 'π/2'],
  [2 * Math.PI, '2π'],
  [Math.E, 'e'],
];

/** A constant as text: a snapped value by name, else 4 significant digits without trailing zeros. */
export function formatConstant(v: number): string {
  for (const [value, name] of NAMED) {
    if (v === value) return name;
    if (v === -value) return `-${name}`;
  }
  if (v === 0) return '0';
  const s = v.toPrecision(4);
  if (s.includes('e')) return s.replace(/\.?0+e/, 'e');
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

const POWERS: Readonly<Record<string, string>> = { x2: '²', x3: '³', x4: '⁴' };

/** True when the Lin prints as one bare atom (coefficient 1, no constant). */
function bare(l: Lin): boolean {
  return l.c0 === 0 && l.terms.length === 1 && l.terms[0].coef === 1;
}

function atomText(a: Atom, names: readonly string[]): string {
  if (a.kind === 'var') return names[a.index] ?? `x${a.index + 1}`;
  if (a.kind === 'prod') return `${names[a.a] ?? `x${a.a + 1}`}·${names[a.b] ?? `x${a.b + 1}`}`;
  const inner = linText(a.arg, names);
  const wrapped = bare(a.arg) && a.arg.terms[0].atom.kind === 'var' ? inner : `(${inner})`;
  if (a.kind === 'spline') return `s[${a.edge}](${inner})`;
  switch (a.fn) {
    case 'x2':
    case 'x3':
    case 'x4':
      return `${wrapped}${POWERS[a.fn]}`;
    case 'inv':
      return `1/${wrapped}`;
    case 'gauss':
      return `exp(-${wrapped}²)`;
    case 'abs':
      return `|${inner}|`;
    default:
      return `${a.fn}(${inner})`;
  }
}

/** Text of c0 + Σ coef·atom, e.g. "3.142·x1 + 0.5" or "exp(sin(π·x1) + x2²)". */
export function linText(l: Lin, names: readonly string[]): string {
  const parts: string[] = [];
  for (const t of l.terms) {
    const atom = atomText(t.atom, names);
    const mag = formatConstant(Math.abs(t.coef));
    const body = mag === '1' ? atom : `${mag}·${atom}`;
    parts.push(parts.length === 0 ? (t.coef < 0 ? `-${body}` : body) : `${t.coef < 0 ? '-' : '+'} ${body}`);
  }
  // A constant below 1e-12 is rounding noise of a refit, not part of the formula's text.
  if (Math.abs(l.c0) >= 1e-12 || parts.length === 0) {
    const c = formatConstant(Math.abs(l.c0));
    parts.push(parts.length === 0 ? formatConstant(l.c0) : `${l.c0 < 0 ? '-' : '+'} ${c}`);
  }
  return parts.join(' ');
}
