import { describe, expect, it } from 'vitest';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import { softmaxCrossEntropy } from '../../../shared/numeric/ops.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Tape, Var } from '../../../shared/numeric/tape.js';

describe('softmaxCrossEntropy', () => {
  it('equals −log p of the true class and stays finite for huge logits', () => {
    const tape = new Tape();
    const logits = Var.constant([2, 0, -1, 1000, 0, -1000], [2, 3]);
    const target = Var.constant([1, 0, 0, 0, 1, 0], [2, 3]);
    const l = softmaxCrossEntropy(tape, logits, target).data[0]!;
    const p0 = Math.exp(2) / (Math.exp(2) + 1 + Math.exp(-1));
    expect(l).toBeCloseTo((-Math.log(p0) + 1000) / 2, 9);
  });

  it('has gradients that match finite differences', () => {
    const rng = new Rng(4);
    const logits = Var.param(
      Float64Array.from({ length: 12 }, () => rng.uniform(-3, 3)),
      [4, 3],
      'logits',
    );
    const t = new Float64Array(12);
    for (let r = 0; r < 4; r++) t[r * 3 + rng.int(3)] = 1;
    const target = Var.constant(t, [4, 3]);
    const r = gradcheck((tape) => softmaxCrossEntropy(tape, logits, target), [logits]);
    expect(r.maxRelError).toBeLessThan(1e-6);
  });
});
