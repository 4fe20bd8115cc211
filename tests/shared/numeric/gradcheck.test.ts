import { describe, expect, it } from 'vitest';
import { GRADCHECK_DEFAULTS, gradcheck } from '../../../shared/numeric/gradcheck.js';
import { sum, tanh } from '../../../shared/numeric/ops.js';
import { type Tape, Var } from '../../../shared/numeric/tape.js';

/** sin with a deliberately wrong backward rule (cos scaled by 1.01). */
function brokenSin(tape: Tape, x: Var): Var {
  const y = x.data.map(Math.sin);
  return tape.record(
    y,
    x.shape,
    [x],
    (out) => {
      for (let i = 0; i < y.length; i++) x.grad![i] += 1.01 * Math.cos(x.data[i]!) * out.grad![i]!;
    },
    'brokenSin',
  );
}

describe('gradcheck', () => {
  it('passes a correct rule with tiny errors and restores the parameters', () => {
    const w = Var.param([0.3, -0.2, 1.1], [3], 'w');
    const r = gradcheck((t) => sum(t, tanh(t, w)), [w]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(3);
    expect(r.maxAbsError).toBeLessThan(1e-9);
    expect([...w.data]).toEqual([0.3, -0.2, 1.1]);
    expect([...w.grad!]).toEqual([0, 0, 0]);
  });

  it('catches a wrong backward rule and points at the worst entry', () => {
    const w = Var.param([0.1, 0.2, 1.5], [3], 'w');
    const r = gradcheck((t) => sum(t, brokenSin(t, w)), [w]);
    expect(r.ok).toBe(false);
    expect(r.maxRelError).toBeGreaterThan(5e-3);
    expect(r.worst.label).toBe('w');
    expect(r.worst.index).toBe(0); // cos is largest at 0.1
  });

  it('documents its defaults in one frozen object', () => {
    expect(Object.isFrozen(GRADCHECK_DEFAULTS)).toBe(true);
    expect(GRADCHECK_DEFAULTS.eps).toBe(1e-6);
  });
});
