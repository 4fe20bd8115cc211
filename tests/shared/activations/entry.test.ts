import { describe, expect, it } from 'vitest';
import { classicEntries, classicEntry } from '../../../shared/activations/builtins.js';
import { compileActivation } from '../../../shared/activations/compile.js';
import {
  ActivationEntrySchema,
  entryToJSON,
  parseActivationEntry,
} from '../../../shared/activations/entry.js';
import { fitChebyshev } from '../../../shared/activations/fit.js';
import { buildEntry } from '../../../shared/activations/properties.js';
import { LibraryEntryError, SchemaError } from '../../../shared/errors.js';

function json(e: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(entryToJSON(e as never)));
}

const cheb = buildEntry({
  name: 'wiggle',
  form: 'chebyshev',
  params: fitChebyshev((z) => Math.sin(3 * z) / Math.sin(3), { tol: 1e-8 }).params,
  tail: 'linear',
  natural: { a: 1, b: 0, c: 1, d: 0 },
  provenance: { source: 'kan', family: 'pendulum', layer: 0, edge: '1->2' },
});

describe('library entries', () => {
  it('round-trips through JSON and the schema', () => {
    for (const e of [...classicEntries(), cheb]) {
      const back = parseActivationEntry(json(e), 'library.json');
      expect(back).toEqual(JSON.parse(JSON.stringify(e)));
      expect(ActivationEntrySchema.parse(json(e)).id).toBe(e.id);
    }
  });

  it('rejects a tail policy that is neither linear, constant nor extend, naming file, entry and field', () => {
    const bad = { ...json(classicEntry('tanh')), tail: 'wrap' };
    expect(() => parseActivationEntry(bad, 'lib/library.json')).toThrow(SchemaError);
    expect(() => parseActivationEntry(bad, 'lib/library.json')).toThrow(
      /lib\/library\.json: field 'tail': entry 'tanh' \(id [0-9a-f]{16}\): tail policy must be one of linear, constant, extend \(got "wrap"\)/,
    );
  });

  it("rejects 'extend' for a form that is not safe on all of ℝ", () => {
    const bad = { ...json(cheb), tail: 'extend' };
    expect(() => parseActivationEntry(bad, 'f.json', { checkId: false })).toThrow(LibraryEntryError);
    expect(() => parseActivationEntry(bad, 'f.json', { checkId: false })).toThrow(
      /f\.json: entry 'wiggle'.*field 'tail': 'extend' is not allowed/,
    );
    const viaSchema = ActivationEntrySchema.safeParse(bad);
    expect(viaSchema.success).toBe(false);
  });

  it('rejects bad params through the form parse, a stale id, and bad metadata', () => {
    const e = json(classicEntry('tanh'));
    expect(() => parseActivationEntry({ ...e, params: { fn: 'nope' } }, 'f.json')).toThrow(
      /f\.json: entry 'tanh'.*field 'params\.fn'/,
    );
    expect(() => parseActivationEntry({ ...e, id: '0123456789abcdef' }, 'f.json')).toThrow(/field 'id'/);
    const meta = e.meta as Record<string, unknown>;
    const badMeta = { ...e, meta: { ...meta, gradient: { ...(meta.gradient as object), monotone: 'up' } } };
    expect(() => parseActivationEntry(badMeta, 'f.json')).toThrow(/meta\.gradient\.monotone/);
  });

  it('compiled evalInto matches value/slope and applies the affine with dy/dx', () => {
    for (const e of [...classicEntries(), cheb]) {
      const act = compileActivation(e);
      const z = Float64Array.from({ length: 41 }, (_, i) => -3 + (6 * i) / 40);
      const out = new Float64Array(z.length);
      const dout = new Float64Array(z.length);
      act.evalInto(z, out, dout);
      z.forEach((zi, i) => {
        expect(out[i]).toBe(act.value(zi));
        expect(dout[i]).toBe(act.slope(zi));
      });
      const aff = { a: 1.7, b: -0.2, c: -0.6, d: 0.3 };
      act.applyAffineInto(z, aff, out, dout);
      const h = 1e-6;
      z.forEach((x, i) => {
        expect(out[i]).toBeCloseTo(aff.c * act.value(aff.a * x + aff.b) + aff.d, 12);
        const zz = aff.a * x + aff.b;
        if ((e.name === 'relu' || e.name === 'leaky_relu') && Math.abs(zz) < 1e-3) return;
        const fd =
          (aff.c * act.value(aff.a * (x + h) + aff.b) - aff.c * act.value(aff.a * (x - h) + aff.b)) / (2 * h);
        expect(Math.abs(fd - dout[i]), `${e.name} at ${x}`).toBeLessThan(1e-6);
      });
    }
  });

  it('computes gradient metadata and cost from the shape', () => {
    const byName = Object.fromEntries(classicEntries().map((e) => [e.name, e]));
    expect(Object.keys(byName)).toEqual([
      'identity',
      'relu',
      'leaky_relu',
      'tanh',
      'sigmoid',
      'silu',
      'gelu',
      'sin',
      'softplus',
      'gaussian',
    ]);
    expect(byName.tanh.meta.gradient).toMatchObject({
      monotone: 'increasing',
      bounded: true,
      smoothness: 'Cinf',
    });
    expect(byName.tanh.meta.gradient.lipschitz).toBeCloseTo(3 / Math.tanh(3), 6);
    expect(byName.relu.meta.gradient).toMatchObject({
      monotone: 'increasing',
      bounded: false,
      smoothness: 'C0',
    });
    expect(byName.gaussian.meta.gradient).toMatchObject({ monotone: 'none', bounded: true });
    expect(byName.silu.meta.gradient).toMatchObject({ monotone: 'none', bounded: false });
    expect(byName.identity.meta.cost.opsPerElement).toBe(0);
    expect(byName.tanh.meta.cost.opsPerElement).toBe(3);
    expect(cheb.meta.gradient.smoothness).toBe('C1');
    expect(cheb.meta.provenance.source).toBe('kan');
  });
});
