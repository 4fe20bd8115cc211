/** A number as JavaScript source that reads back to exactly the same double, e.g. -0 → '(-0)'. */
export function literal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '(-Infinity)';
  return v < 0 || Object.is(v, -0) ? `(${v === 0 ? '-0' : String(v)})` : String(v);
}
