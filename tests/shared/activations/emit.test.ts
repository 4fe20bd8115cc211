import { describe, expect, it } from 'vitest';
import { classicEntries, classicEntry } from '../../../shared/activations/builtins.js';
import { compileActivation } from '../../../shared/activations/compile.js';
import { emitActivation } from '../../../shared/activations/emit.js';
import type { ActivationEntry } from '../../../shared/activations/entry.js';
import { fitChebyshev, fitRationalFunction } from '../../../shared/activations/fit.js';
import { SYMBOLIC_NAMES, symbolicForm } from '../../../shared/activations/forms/symbolic.js';
import { buildEntry } from '../../../shared/activations/properties.js';
import type { Affine, TailPolicy } from '../../../shared/activations/types.js';
import { FakeGraph } from './fake-graph.js';

const x = Float64Array.from({ length: 61 }, (_, i) => -4 + (8 * i) / 60);

function checkGraph(e: ActivationEntry, aff: Affine): string[] {
  const g = new FakeGraph();
  const out = emitActivation(g, 'x', e, aff);
  const graphY = g.run('x', x, out);
  const y = new Float64Array(x.length);
  compileActivation(e).applyAffineInto(x, aff, y);
  x.forEach((xi, i) => {
    expect(Math.abs(graphY[i] - y[i]), `${e.name}/${e.tail} at ${xi}`).toBeLessThan(
      1e-12 * (1 + Math.abs(y[i])),
    );
  });
  return g.ops();
}

function entry(
  name: string,
  form: ActivationEntry['form'],
  params: never,
  tail: TailPolicy,
): ActivationEntry {
  return buildEntry({
    name,
    form,
    params,
    tail,
    natural: { a: 1, b: 0, c: 1, d: 0 },
    provenance: { source: 'user' },
  });
}

const layer: Affine = { a: 0.8, b: -0.3, c: 1.7, d: 0.25 };

describe('ONNX emitters compute what evalInto computes', () => {
  it('classic builtins, with their natural affine and with a layer affine', () => {
    for (const e of classicEntries()) {
      checkGraph(e, e.natural);
      checkGraph(e, layer);
    }
  });

  it('a tanh layer costs Mul, Add, Tanh, Mul, Add at most, and the identity still yields a node', () => {
    expect(checkGraph(classicEntry('tanh'), layer)).toEqual(['Mul', 'Add', 'Tanh', 'Mul', 'Add']);
    expect(checkGraph(classicEntry('tanh'), classicEntry('tanh').natural).length).toBeLessThanOrEqual(2);
    expect(checkGraph(classicEntry('identity'), { a: 1, b: 0, c: 1, d: 0 })).toEqual(['Identity']);
  });

  it('symbolic forms with every tail the form allows', () => {
    for (const fn of SYMBOLIC_NAMES) {
      const beta = fn === 'inv' || fn === 'sqrt' || fn === 'log' ? 2 : 0.2;
      const params = symbolicForm.parse({ fn, alpha: 1.3, beta, gamma: 0.9, delta: -0.1 }, 'test');
      for (const tail of ['linear', 'constant', 'extend'] as const) {
        if (tail === 'extend' && !symbolicForm.extendable(params)) continue;
        checkGraph(entry(fn, 'symbolic', params as never, tail), layer);
      }
    }
  });

  it('chebyshev (Clenshaw) and rational (Horner, Div) with linear and constant tails', () => {
    const cheb = fitChebyshev((z) => Math.sin(4 * z) * Math.exp(z), { tol: 1e-8 }).params;
    const rat = fitRationalFunction((z) => Math.tanh(3 * z) / Math.tanh(3)).params;
    for (const tail of ['linear', 'constant'] as const) {
      const ops = checkGraph(entry('cheb', 'chebyshev', cheb as never, tail), layer);
      expect(ops).toContain('Clip');
      checkGraph(entry('rat', 'rational', rat as never, tail), layer);
    }
    expect(checkGraph(entry('rat', 'rational', rat as never, 'extend'), layer)).toContain('Div');
    checkGraph(entry('line', 'chebyshev', { coeffs: [0.1, 0.9] } as never, 'linear'), layer);
    checkGraph(entry('bump', 'rational', { p: [1], q: [3] } as never, 'extend'), layer);
  });
});
