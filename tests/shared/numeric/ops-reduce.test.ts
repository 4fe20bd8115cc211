import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../../shared/errors.js';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import { mean, mseLoss, softmax, sum, sumAxis } from '../../../shared/numeric/ops.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Tape, Var } from '../../../shared/numeric/tape.js';
import { randConst, randParam, weightedLoss } from './helpers.js';

describe('full reductions', () => {
  it('sum and mean return scalars of shape []', () => {
    const x = Var.constant([1, 2, 3, 6], [2, 2]);
    const s = sum(new Tape(), x);
    expect(s.shape).toEqual([]);
    expect(s.data[0]).toBe(12);
    expect(mean(new Tape(), x).data[0]).toBe(3);
  });

  it('sum and mean have gradients that match finite differences', () => {
    const rng = new Rng(20);
    const x = randParam(rng, [3, 3]);
    expect(gradcheck((t) => sum(t, x), [x]).ok).toBe(true);
    expect(gradcheck((t) => mean(t, x), [x]).ok).toBe(true);
  });

  it('mseLoss is the mean squared residual with gradients to pred and target', () => {
    const p = Var.param([1, 2, 3], [3]);
    const y = Var.param([1, 0, 0], [3]);
    expect(mseLoss(new Tape(), p, y).data[0]).toBeCloseTo(13 / 3, 15);
    const rng = new Rng(21);
    const a = randParam(rng, [4, 2]);
    const b = randParam(rng, [4, 2]);
    const r = gradcheck((t) => mseLoss(t, a, b), [a, b]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    expect(() => mseLoss(new Tape(), a, p)).toThrow('mseLoss: shapes [4, 2] and [3] differ');
  });
});

describe('sumAxis', () => {
  it('sums one axis away: [2, 3, 2] over axis 1 → [2, 2]', () => {
    const x = Var.constant(
      Array.from({ length: 12 }, (_, i) => i),
      [2, 3, 2],
    );
    const y = sumAxis(new Tape(), x, 1);
    expect(y.shape).toEqual([2, 2]);
    expect([...y.data]).toEqual([0 + 2 + 4, 1 + 3 + 5, 6 + 8 + 10, 7 + 9 + 11]);
    expect([...sumAxis(new Tape(), x, 2).data]).toEqual([1, 5, 9, 13, 17, 21]);
  });

  it('has gradients that match finite differences on every axis', () => {
    const rng = new Rng(22);
    const x = randParam(rng, [2, 3, 4]);
    for (const axis of [0, 1, 2]) {
      const shape = x.shape.filter((_, a) => a !== axis);
      const w = randConst(rng, shape);
      expect(gradcheck((t) => weightedLoss(t, sumAxis(t, x, axis), w), [x]).ok).toBe(true);
    }
    expect(() => sumAxis(new Tape(), x, 3)).toThrow(ShapeError);
  });
});

describe('softmax', () => {
  it('rows sum to 1 and large logits do not overflow', () => {
    const x = Var.constant([1000, 1001, 1002, 0, 0, 0], [2, 3]);
    const y = softmax(new Tape(), x);
    expect(y.data[0]! + y.data[1]! + y.data[2]!).toBeCloseTo(1, 14);
    expect(y.data[3]).toBeCloseTo(1 / 3, 15);
    expect(Number.isFinite(y.data[2]!)).toBe(true);
  });

  it('temperature sharpens (T < 1) and flattens (T > 1)', () => {
    const x = Var.constant([0, 1], [1, 2]);
    const cold = softmax(new Tape(), x, 0.1).data[1]!;
    const base = softmax(new Tape(), x).data[1]!;
    const hot = softmax(new Tape(), x, 10).data[1]!;
    expect(cold).toBeGreaterThan(base);
    expect(hot).toBeLessThan(base);
    expect(hot).toBeGreaterThan(0.5);
    expect(() => softmax(new Tape(), x, 0)).toThrow(/temperature/);
  });

  it('has gradients that match finite differences for several temperatures', () => {
    const rng = new Rng(23);
    const x = randParam(rng, [3, 4], -2, 2);
    const w = randConst(rng, [3, 4]);
    for (const T of [0.5, 1, 3]) {
      const r = gradcheck((t) => weightedLoss(t, softmax(t, x, T), w), [x]);
      expect(r.ok, `T=${T} ${JSON.stringify(r.worst)}`).toBe(true);
    }
  });
});
