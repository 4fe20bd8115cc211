import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../../shared/errors.js';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import { concat, reshape, sliceColumns, tanh } from '../../../shared/numeric/ops.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Tape, Var } from '../../../shared/numeric/tape.js';
import { randConst, randParam, weightedLoss } from './helpers.js';

describe('concat', () => {
  it('joins along the last axis', () => {
    const a = Var.constant([1, 2, 3, 4], [2, 2]);
    const b = Var.constant([5, 6], [2, 1]);
    const y = concat(new Tape(), [a, b]);
    expect(y.shape).toEqual([2, 3]);
    expect([...y.data]).toEqual([1, 2, 5, 3, 4, 6]);
  });

  it('routes gradients back to each input', () => {
    const rng = new Rng(30);
    const a = randParam(rng, [3, 2]);
    const b = randParam(rng, [3, 4]);
    const w = randConst(rng, [3, 8]);
    const r = gradcheck((t) => weightedLoss(t, concat(t, [a, b, a]), w), [a, b]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('rejects inputs whose leading dimensions differ', () => {
    const a = Var.constant(new Float64Array(4), [2, 2]);
    const b = Var.constant(new Float64Array(3), [3, 1]);
    expect(() => concat(new Tape(), [a, b])).toThrow(ShapeError);
    expect(() => concat(new Tape(), [a, b])).toThrow('concat: input 1 [3, 1]');
  });
});

describe('sliceColumns', () => {
  it('takes columns [start, end) of the last axis', () => {
    const x = Var.constant([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = sliceColumns(new Tape(), x, 1, 3);
    expect(y.shape).toEqual([2, 2]);
    expect([...y.data]).toEqual([2, 3, 5, 6]);
    expect(() => sliceColumns(new Tape(), x, 2, 4)).toThrow('sliceColumns: range [2, 4)');
  });

  it('routes gradients back to the sliced columns only', () => {
    const rng = new Rng(31);
    const x = randParam(rng, [3, 5]);
    const w = randConst(rng, [3, 2]);
    const r = gradcheck((t) => weightedLoss(t, sliceColumns(t, x, 2, 4), w), [x]);
    expect(r.ok).toBe(true);
  });
});

describe('reshape', () => {
  it('keeps row-major order and checks the size', () => {
    const x = Var.constant([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = reshape(new Tape(), x, [3, 2]);
    expect(y.shape).toEqual([3, 2]);
    expect([...y.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => reshape(new Tape(), x, [4, 2])).toThrow('reshape: cannot view [2, 3]');
  });

  it('passes gradients through', () => {
    const rng = new Rng(32);
    const x = randParam(rng, [2, 6]);
    const w = randConst(rng, [3, 2, 2]);
    const r = gradcheck((t) => weightedLoss(t, tanh(t, reshape(t, x, [3, 2, 2])), w), [x]);
    expect(r.ok).toBe(true);
  });
});
