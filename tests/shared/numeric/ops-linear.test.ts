import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../../shared/errors.js';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import { addBias, matmul, matmulTransposedB, mulRow } from '../../../shared/numeric/ops.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Tape, Var } from '../../../shared/numeric/tape.js';
import { randConst, randParam, weightedLoss } from './helpers.js';

describe('matmul', () => {
  it('multiplies [m, k] × [k, n]', () => {
    const a = Var.constant([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = Var.constant([1, 0, 0, 1, 1, 1], [3, 2]);
    const y = matmul(new Tape(), a, b);
    expect(y.shape).toEqual([2, 2]);
    expect([...y.data]).toEqual([4, 5, 10, 11]);
  });

  it('has gradients that match finite differences for both factors', () => {
    const rng = new Rng(10);
    const a = randParam(rng, [3, 4]);
    const b = randParam(rng, [4, 2]);
    const w = randConst(rng, [3, 2]);
    const r = gradcheck((t) => weightedLoss(t, matmul(t, a, b), w), [a, b]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('rejects mismatched inner sizes, naming both shapes', () => {
    const a = Var.constant(new Float64Array(6), [2, 3]);
    expect(() => matmul(new Tape(), a, a)).toThrow(ShapeError);
    expect(() => matmul(new Tape(), a, a)).toThrow('[2, 3] × [2, 3]');
  });
});

describe('matmulTransposedB', () => {
  it('computes x·Wᵀ with W stored [out, in]', () => {
    const x = Var.constant([1, 2, 3, 4, 5, 6], [2, 3]);
    const W = Var.constant([1, 0, 0, 0, 1, 1], [2, 3]);
    expect([...matmulTransposedB(new Tape(), x, W).data]).toEqual([1, 5, 4, 11]);
  });

  it('has gradients that match finite differences for input and weight', () => {
    const rng = new Rng(11);
    const x = randParam(rng, [5, 3]);
    const W = randParam(rng, [4, 3]);
    const w = randConst(rng, [5, 4]);
    const r = gradcheck((t) => weightedLoss(t, matmulTransposedB(t, x, W), w), [x, W]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('rejects a weight whose in-size differs from the input columns', () => {
    const x = Var.constant(new Float64Array(6), [2, 3]);
    const W = Var.constant(new Float64Array(8), [2, 4]);
    expect(() => matmulTransposedB(new Tape(), x, W)).toThrow(/input \[2, 3\].*weight \[2, 4\]/);
  });
});

describe('row broadcasts', () => {
  it('addBias adds b to every row, and its gradients match finite differences', () => {
    const rng = new Rng(12);
    const x = randParam(rng, [4, 3]);
    const b = randParam(rng, [3]);
    const y = addBias(new Tape(), x, b);
    expect(y.data[3 * 1 + 2]).toBeCloseTo(x.data[5]! + b.data[2]!, 15);
    const w = randConst(rng, [4, 3]);
    const r = gradcheck((t) => weightedLoss(t, addBias(t, x, b), w), [x, b]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    expect(() => addBias(new Tape(), x, Var.constant([1, 2], [2]))).toThrow('addBias: bias [2]');
  });

  it('mulRow scales every row by v, and its gradients match finite differences', () => {
    const rng = new Rng(13);
    const x = randParam(rng, [4, 3]);
    const v = randParam(rng, [3]);
    const w = randConst(rng, [4, 3]);
    const r = gradcheck((t) => weightedLoss(t, mulRow(t, x, v), w), [x, v]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    expect(() => mulRow(new Tape(), x, Var.constant([1], [1]))).toThrow(ShapeError);
  });

  it('a dense layer x·Wᵀ + b composes', () => {
    const rng = new Rng(14);
    const x = randParam(rng, [6, 3]);
    const W = randParam(rng, [2, 3]);
    const b = randParam(rng, [2]);
    const w = randConst(rng, [6, 2]);
    const r = gradcheck((t) => weightedLoss(t, addBias(t, matmulTransposedB(t, x, W), b), w), [x, W, b]);
    expect(r.ok).toBe(true);
  });
});
