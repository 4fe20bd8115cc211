import { describe, expect, it } from 'vitest';
import { CLASSIC_WINDOWS, classicEntries, classicEntry } from '../../../shared/activations/builtins.js';
import { canonicalizeFunction, canonicalizeSamples, rangeOf } from '../../../shared/activations/canonical.js';
import { compileActivation } from '../../../shared/activations/compile.js';
import { PRIMITIVES } from '../../../shared/activations/primitives.js';
import { LibraryEntryError } from '../../../shared/errors.js';

describe('canonicalisation', () => {
  it('the tanh entry with its natural affine is Math.tanh, even at x = ±10', () => {
    const e = classicEntry('tanh');
    const act = compileActivation(e);
    const x = Float64Array.of(-10, -2, 0.5, 10);
    const y = new Float64Array(4);
    act.applyAffineInto(x, e.natural, y);
    x.forEach((xi, i) => {
      expect(Math.abs(y[i] - Math.tanh(xi))).toBeLessThan(1e-15);
    });
  });

  it('every classic builtin reproduces its original function on all of ℝ', () => {
    for (const e of classicEntries()) {
      const f = PRIMITIVES[e.name as keyof typeof PRIMITIVES].f;
      const act = compileActivation(e);
      const x = Float64Array.of(-40, -7.5, -1.3, 0, 0.4, 2.2, 9, 40);
      const y = new Float64Array(x.length);
      act.applyAffineInto(x, e.natural, y);
      x.forEach((xi, i) => {
        expect(Math.abs(y[i] - f(xi)), `${e.name} at ${xi}`).toBeLessThan(1e-12 * (1 + Math.abs(f(xi))));
      });
    }
  });

  it('every builtin is range-normalised on its window: min −1, max 1 over z ∈ [-1, 1]', () => {
    for (const e of classicEntries()) {
      const act = compileActivation(e);
      const r = rangeOf((z) => act.value(z), -1, 1);
      expect(r.min, e.name).toBeCloseTo(-1, 9);
      expect(r.max, e.name).toBeCloseTo(1, 9);
      expect(CLASSIC_WINDOWS[e.name as keyof typeof CLASSIC_WINDOWS]).toBeDefined();
    }
  });

  it('round trip: f(x) = c·ψ(a·x + b) + d for a callable and for samples', () => {
    const f = (x: number) => 3 * Math.sin(0.7 * x) + x * x - 4;
    const { psi, natural } = canonicalizeFunction(f, -2, 5);
    for (const x of [-2, -0.3, 1.1, 5]) {
      expect(natural.c * psi(natural.a * x + natural.b) + natural.d).toBeCloseTo(f(x), 12);
    }
    const xs = Array.from({ length: 50 }, (_, i) => 10 + i * 0.2);
    const s = canonicalizeSamples(
      xs,
      xs.map((x) => Math.exp(-x / 5)),
    );
    expect(Math.min(...s.psi)).toBe(-1);
    expect(Math.max(...s.psi)).toBe(1);
    expect(s.z[0]).toBe(-1);
    expect(s.z[49]).toBeCloseTo(1, 14);
    s.psi.forEach((p, i) => {
      expect(s.natural.c * p + s.natural.d).toBeCloseTo(Math.exp(-xs[i] / 5), 14);
    });
  });

  it('rejects a (near-)constant function with a clear error', () => {
    expect(() => canonicalizeFunction(() => 2, -1, 1)).toThrow(LibraryEntryError);
    expect(() => canonicalizeFunction((x) => 5 + 1e-13 * x, -1, 1)).toThrow(/constant/);
    expect(() => canonicalizeSamples([0, 1, 2], [3, 3, 3])).toThrow(/constant/);
  });
});
