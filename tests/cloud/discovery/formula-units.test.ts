/**
 * Formulas in the user's units, sign and phase identities, and products out of squares.
 */
import { describe, expect, it } from 'vitest';
import { buildFormula, type EdgeSpec, evaluateRows, formulaRmse } from '../../../cloud/discovery/formula.js';
import { simplifyFormula } from '../../../cloud/discovery/formula-simplify.js';
import { toUserUnits, unscaleInputs } from '../../../cloud/discovery/formula-units.js';
import type { TaskScaling } from '../../../cloud/discovery/tasks.js';

function rows(n: number, d: number, lo: number, hi: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n * d }, () => {
    s = (s * 16807) % 2147483647;
    return lo + ((hi - lo) * s) / 2147483647;
  });
}

describe('formulas in the user units', () => {
  it('folds input and target scalings: sqrt(x² + y²) learned on normalised data reads sqrt(x² + y²)', () => {
    // the data: x, y in [0.1, 1]; normalised v = (raw − 0.55)/0.45, target t = (z − 0.9)/0.3
    const scaling: TaskScaling = {
      inputs: [
        { name: 'x', shift: 0.55, scale: 0.45 },
        { name: 'y', shift: 0.55, scale: 0.45 },
      ],
      target: { name: 'z', shift: 0.9, scale: 0.3 },
    };
    // what the network learns: t = (sqrt((0.45·v1 + 0.55)² + (0.45·v2 + 0.55)²) − 0.9)/0.3
    const edges: EdgeSpec[] = [
      { layer: 0, i: 0, j: 0, fit: { fn: 'x2', a: 0.45, b: 0.55, c: 1, d: 0 } },
      { layer: 0, i: 1, j: 0, fit: { fn: 'x2', a: 0.45, b: 0.55, c: 1, d: 0 } },
      { layer: 1, i: 0, j: 0, fit: { fn: 'sqrt', a: 1, b: 0, c: 1 / 0.3, d: -3 } },
    ];
    const normalised = buildFormula([2, 1, 1], edges, { inputNames: ['x', 'y'] });
    expect(normalised.text[0]).not.toBe('sqrt(x² + y²)');
    const raw = rows(200, 2, 0.1, 1, 3);
    const z = Float64Array.from({ length: 200 }, (_, r) => Math.hypot(raw[2 * r]!, raw[2 * r + 1]!));
    const user = simplifyFormula(toUserUnits(normalised, scaling), raw, z);
    expect(user.text[0]).toBe('sqrt(x² + y²)');
    expect(formulaRmse(user, raw, z)).toBeLessThan(1e-12);
    // unscaleInputs inverts the normalisation column by column
    const back = unscaleInputs(Float64Array.of(-1, 1, 0, 0), scaling);
    for (const [k, v] of [0.1, 1, 0.55, 0.55].entries()) expect(back[k]).toBeCloseTo(v, 14);
  });

  it('simplifies sign and phase identities: −sin(π·x + π) is sin(π·x), cos(x − π/2) is sin(x)', () => {
    const x = rows(100, 1, -1, 1, 5);
    const f1 = buildFormula(
      [1, 1],
      [{ layer: 0, i: 0, j: 0, fit: { fn: 'sin', a: Math.PI, b: Math.PI, c: -1, d: 0 } }],
      {
        inputNames: ['x'],
      },
    );
    expect(f1.text[0]).toBe('sin(π·x)');
    const f2 = buildFormula(
      [1, 1],
      [{ layer: 0, i: 0, j: 0, fit: { fn: 'cos', a: 1, b: -Math.PI / 2, c: 2, d: 0 } }],
      {
        inputNames: ['x'],
      },
    );
    expect(f2.text[0]).toBe('2·sin(x)');
    const f3 = buildFormula([1, 1], [{ layer: 0, i: 0, j: 0, fit: { fn: 'sin', a: -2, b: 0, c: 1, d: 0 } }], {
      inputNames: ['x'],
    });
    expect(f3.text[0]).toBe('-sin(2·x)');
    // identities only: values unchanged
    const v = evaluateRows(f1, x);
    for (const [k, xi] of x.entries()) expect(v[k]!).toBeCloseTo(-Math.sin(Math.PI * xi + Math.PI), 12);
  });

  it('turns a difference of squares into a product: ((x + y)² − (x − y)²)/4 is x·y', () => {
    const edges: EdgeSpec[] = [
      { layer: 0, i: 0, j: 0, fit: { fn: 'x', a: 1, b: 0, c: 1, d: 0 } },
      { layer: 0, i: 1, j: 0, fit: { fn: 'x', a: 1, b: 0, c: 1, d: 0 } },
      { layer: 0, i: 0, j: 1, fit: { fn: 'x', a: 1, b: 0, c: 1, d: 0 } },
      { layer: 0, i: 1, j: 1, fit: { fn: 'x', a: 1, b: 0, c: -1, d: 0 } },
      { layer: 1, i: 0, j: 0, fit: { fn: 'x2', a: 1, b: 0, c: 0.25, d: 0 } },
      { layer: 1, i: 1, j: 0, fit: { fn: 'x2', a: 1, b: 0, c: -0.25, d: 0 } },
    ];
    const f = buildFormula([2, 2, 1], edges, { inputNames: ['V', 'I'] });
    expect(f.text[0]).toBe('V·I');
    const X = rows(50, 2, -2, 2, 9);
    const v = evaluateRows(f, X);
    for (let r = 0; r < 50; r++) expect(v[r]!).toBeCloseTo(X[2 * r]! * X[2 * r + 1]!, 12);
  });
});
