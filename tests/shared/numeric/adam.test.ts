import { describe, expect, it } from 'vitest';
import { InputError } from '../../../shared/errors.js';
import { ADAM_DEFAULTS, Adam } from '../../../shared/numeric/adam.js';
import { addBias, matmulTransposedB, mseLoss } from '../../../shared/numeric/ops.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Tape, Var } from '../../../shared/numeric/tape.js';

describe('Adam', () => {
  it('with no options takes the steps of the paper’s Adam (lr 1e-3, β 0.9/0.999, ε 1e-8), unclipped and undecayed', () => {
    // A scalar transcription of Kingma & Ba's Algorithm 1 with the hyperparameters they
    // recommend, fed the same gradients: the optimiser built with no options must agree step by
    // step. Gradients of 1e-9 first (where ε is most of the denominator), then up to 1e4 (which
    // any clip would cut), with sign changes (which exercise both moment decays); a nonzero
    // weight decay would move θ away from this transcription.
    const grads = [1e-9, -1e-9, 1e-3, 0.5, -3, 1e4, 2, -7];
    const p = Var.param([0.75], [1]);
    const opt = new Adam([p]);
    let theta = 0.75;
    let m = 0;
    let v = 0;
    grads.forEach((g, i) => {
      const t = i + 1;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      theta -= (1e-3 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
      p.grad![0] = g;
      opt.step();
      expect(p.data[0], `step ${t}`).toBeCloseTo(theta, 12);
    });
    expect(opt.lr).toBe(1e-3);
    // the defaults object is shared by every optimiser: it cannot be changed at run time
    expect(() => {
      (ADAM_DEFAULTS as { lr: number }).lr = 1;
    }).toThrow(TypeError);
  });

  it('moves each parameter by about lr on its first step (bias correction)', () => {
    const p = Var.param([1, -1, 0.5], [3]);
    p.grad!.set([10, -0.01, 0]);
    const opt = new Adam([p], { lr: 0.1 });
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.9, 6);
    expect(p.data[1]).toBeCloseTo(-0.9, 4);
    expect(p.data[2]).toBe(0.5);
    expect(opt.stepCount).toBe(1);
  });

  it('fits a linear regression', () => {
    const rng = new Rng(70);
    const n = 64;
    const X = Var.constant(rng.fillUniform(new Float64Array(n * 2), -1, 1), [n, 2]);
    const Y = new Float64Array(n);
    for (let i = 0; i < n; i++) Y[i] = 2 * X.data[i * 2]! - 3 * X.data[i * 2 + 1]! + 0.5;
    const target = Var.constant(Y, [n, 1]);
    const W = Var.param([0, 0], [1, 2]);
    const b = Var.param([0], [1]);
    const opt = new Adam([W, b], { lr: 0.05 });
    let loss = Number.POSITIVE_INFINITY;
    for (let step = 0; step < 1500; step++) {
      const tape = new Tape();
      const l = mseLoss(tape, addBias(tape, matmulTransposedB(tape, X, W), b), target);
      opt.zeroGrad();
      tape.backward(l);
      opt.step();
      loss = l.data[0]!;
    }
    expect(loss).toBeLessThan(1e-8);
    expect(W.data[0]).toBeCloseTo(2, 3);
    expect(W.data[1]).toBeCloseTo(-3, 3);
    expect(b.data[0]).toBeCloseTo(0.5, 3);
  });

  it('clips by the global gradient norm and reports the norm before clipping', () => {
    const a = Var.param([0, 0], [2]);
    const c = Var.param([0], [1]);
    a.grad!.set([3, 0]);
    c.grad!.set([4]);
    const opt = new Adam([a, c], { lr: 1, clipNorm: 1, beta1: 0, beta2: 0 });
    expect(opt.step()).toBeCloseTo(5, 14);
    // beta = 0: the update is g/|g| per entry, unaffected by the common clip factor
    expect(a.data[0]).toBeCloseTo(-1, 6);
    expect(c.data[0]).toBeCloseTo(-1, 6);
  });

  it('applies decoupled weight decay even with zero gradient', () => {
    const p = Var.param([2], [1]);
    new Adam([p], { lr: 0.1, weightDecay: 0.5 }).step();
    expect(p.data[0]).toBeCloseTo(2 - 0.1 * 0.5 * 2, 12);
  });

  it('zeroGrad clears gradients, and bad options or constants are rejected', () => {
    const p = Var.param([1], [1]);
    p.grad![0] = 3;
    new Adam([p]).zeroGrad();
    expect(p.grad![0]).toBe(0);
    expect(() => new Adam([p], { lr: 0 })).toThrow(InputError);
    expect(() => new Adam([p], { beta1: 1 })).toThrow(/beta1/);
    expect(() => new Adam([Var.constant([1], [1])])).toThrow(/does not require a gradient/);
  });
});
