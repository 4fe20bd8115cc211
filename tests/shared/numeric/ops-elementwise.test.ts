import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../../shared/errors.js';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import type { ElementwiseKernel } from '../../../shared/numeric/ops.js';
import * as ops from '../../../shared/numeric/ops.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Tape, Var } from '../../../shared/numeric/tape.js';
import { randConst, randParam, weightedLoss } from './helpers.js';

type Unary = (tape: Tape, x: Var) => Var;

/** Each unary op with its reference function and an input range where it is smooth. */
const UNARY: ReadonlyArray<[string, Unary, (x: number) => number, number, number]> = [
  ['neg', ops.neg, (x) => -x, -2, 2],
  ['exp', ops.exp, Math.exp, -2, 2],
  ['log', ops.log, Math.log, 0.2, 3],
  ['tanh', ops.tanh, Math.tanh, -2, 2],
  ['sin', ops.sin, Math.sin, -3, 3],
  ['cos', ops.cos, Math.cos, -3, 3],
  ['sigmoid', ops.sigmoid, (x) => 1 / (1 + Math.exp(-x)), -4, 4],
  ['silu', ops.silu, (x) => x / (1 + Math.exp(-x)), -4, 4],
  ['softplus', ops.softplus, (x) => Math.log(1 + Math.exp(x)), -4, 4],
  ['relu (positive side)', ops.relu, (x) => Math.max(x, 0), 0.1, 2],
  ['relu (negative side)', ops.relu, (x) => Math.max(x, 0), -2, -0.1],
  ['square', ops.square, (x) => x * x, -2, 2],
  ['abs (positive side)', ops.abs, Math.abs, 0.1, 2],
  ['abs (negative side)', ops.abs, Math.abs, -2, -0.1],
  ['scale', (t, x) => ops.scale(t, x, -1.7), (x) => -1.7 * x, -2, 2],
  ['addScalar', (t, x) => ops.addScalar(t, x, 0.3), (x) => x + 0.3, -2, 2],
];

describe('unary elementwise ops', () => {
  for (const [name, op, ref, lo, hi] of UNARY) {
    it(`${name}: forward matches the reference and backward matches finite differences`, () => {
      const rng = new Rng(1).fork(name);
      const x = randParam(rng, [3, 4], lo, hi);
      const w = randConst(rng, [3, 4]);
      const y = op(new Tape(), x);
      expect(y.shape).toEqual([3, 4]);
      for (let i = 0; i < x.size; i++) expect(y.data[i]).toBeCloseTo(ref(x.data[i]!), 12);
      const r = gradcheck((t) => weightedLoss(t, op(t, x), w), [x]);
      expect(r.ok, JSON.stringify(r.worst)).toBe(true);
      expect(r.maxRelError).toBeLessThan(1e-6);
    });
  }

  it('softplus stays finite for large |x| and has slope ½ at exactly 0', () => {
    const x = Var.param([-800, 0, 800], [3]);
    const tape = new Tape();
    const y = ops.softplus(tape, x);
    expect([...y.data]).toEqual([0, Math.LN2, 800]);
    tape.backward(ops.sum(tape, y));
    expect([...x.grad!]).toEqual([0, 0.5, 1]);
  });

  it('sigmoid saturates without overflow', () => {
    const y = ops.sigmoid(new Tape(), Var.constant([-1000, 1000], [2]));
    expect([...y.data]).toEqual([0, 1]);
  });
});

describe('binary elementwise ops', () => {
  const BINARY: ReadonlyArray<[string, (t: Tape, a: Var, b: Var) => Var, (a: number, b: number) => number]> =
    [
      ['add', ops.add, (a, b) => a + b],
      ['sub', ops.sub, (a, b) => a - b],
      ['mul', ops.mul, (a, b) => a * b],
      ['div', ops.div, (a, b) => a / b],
    ];
  for (const [name, op, ref] of BINARY) {
    it(`${name}: forward and gradients to both operands`, () => {
      const rng = new Rng(2).fork(name);
      const a = randParam(rng, [2, 5]);
      const b = randParam(rng, [2, 5], 0.5, 2);
      const w = randConst(rng, [2, 5]);
      const y = op(new Tape(), a, b);
      for (let i = 0; i < a.size; i++) expect(y.data[i]).toBeCloseTo(ref(a.data[i]!, b.data[i]!), 12);
      const r = gradcheck((t) => weightedLoss(t, op(t, a, b), w), [a, b]);
      expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    });
    it(`${name}: rejects operands of different shapes, naming both`, () => {
      const a = Var.constant([1, 2, 3, 4], [2, 2]);
      const b = Var.constant([1, 2, 3, 4], [4]);
      expect(() => op(new Tape(), a, b)).toThrow(ShapeError);
      expect(() => op(new Tape(), a, b)).toThrow(`${name}: shapes [2, 2] and [4] differ`);
    });
  }

  it('accumulates the gradient of a Var used twice (x·x)', () => {
    const x = Var.param([3, -2], [2]);
    const tape = new Tape();
    tape.backward(ops.sum(tape, ops.mul(tape, x, x)));
    expect([...x.grad!]).toEqual([6, -4]);
  });

  it('leaves constants without a gradient and records nothing for constant-only graphs', () => {
    const tape = new Tape();
    const a = Var.constant([1, 2], [2]);
    const y = ops.add(tape, a, a);
    expect(y.requiresGrad).toBe(false);
    expect(tape.length).toBe(0);
  });
});

describe('mapElementwise', () => {
  const tanhKernel: ElementwiseKernel = (x, y, d) => {
    for (let i = 0; i < x.length; i++) {
      const t = Math.tanh(x[i]!);
      y[i] = t;
      d[i] = 1 - t * t;
    }
  };

  it('turns a fused f/f′ kernel into an op with a correct gradient', () => {
    const rng = new Rng(3);
    const x = randParam(rng, [4, 3], -2, 2);
    const w = randConst(rng, [4, 3]);
    const y = ops.mapElementwise(new Tape(), x, tanhKernel, 'tanh-kernel');
    expect(y.label).toBe('tanh-kernel');
    for (let i = 0; i < x.size; i++) expect(y.data[i]).toBeCloseTo(Math.tanh(x.data[i]!), 14);
    const r = gradcheck((t) => weightedLoss(t, ops.mapElementwise(t, x, tanhKernel, 'tanh-kernel'), w), [x]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('chains with other ops (kernel of a kernel)', () => {
    const rng = new Rng(4);
    const x = randParam(rng, [5], -1, 1);
    const w = randConst(rng, [5]);
    const build = (t: Tape) => {
      const h = ops.mapElementwise(t, x, tanhKernel, 'k1');
      return weightedLoss(t, ops.mul(t, ops.mapElementwise(t, h, tanhKernel, 'k2'), h), w);
    };
    expect(gradcheck(build, [x]).ok).toBe(true);
  });
});
