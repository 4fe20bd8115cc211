/**
 * The generated per-entry loops that on-device selection scores with compute exactly what
 * compileActivation computes (same arithmetic, same order: bit for bit; selection's float32
 * kernels differ only where tanh runs on the float32 rational), for every entry of the
 * 32-entry selection library (classic, symbolic, chebyshev, rational; extend, linear and constant
 * tails) under several layer affines, far into the tails.
 */
import { describe, expect, it } from 'vitest';
import { driveInputs, selectionLibrary } from '../../../scripts/bench-select.js';
import { entryPrimitive } from '../../../shared/activations/compile.js';
import { compileActivation } from '../../../shared/activations/index.js';
import { compileActivationFast } from '../../../shared/engines/compiled/activation.js';
import { compileActivationKernel } from '../../../shared/engines/compiled/sequence.js';
import { classicLibrary } from '../../../shared/library/library.js';

describe('compileActivationFast', () => {
  const x = Float64Array.from({ length: 801 }, (_, i) => -40 + i * 0.1);
  const entries = [...classicLibrary().entries, ...selectionLibrary(32).entries];

  it('covers every form and tail', () => {
    expect(new Set(entries.map((e) => e.form))).toEqual(
      new Set(['classic', 'symbolic', 'chebyshev', 'rational']),
    );
    expect(new Set(entries.map((e) => e.tail))).toEqual(new Set(['extend', 'linear', 'constant']));
  });

  for (const entry of entries) {
    it(`${entry.name} (${entry.form}, ${entry.tail}) equals compileActivation bit for bit`, () => {
      const slow = compileActivation(entry);
      const fast = compileActivationFast(entry);
      for (const aff of [
        entry.natural,
        { a: 0.7, b: 0.1, c: 1.2, d: -0.1 },
        { a: -2.5, b: 1, c: -0.3, d: 2 },
      ]) {
        const a = new Float64Array(x.length);
        const b = new Float64Array(x.length);
        slow.applyAffineInto(x, aff, a);
        fast.applyAffineInto(x, aff, b);
        expect(Array.from(b)).toEqual(Array.from(a));
      }
      const z = driveInputs(3, 400, 1).map((v) => 3 * v);
      const a = new Float64Array(z.length);
      const b = new Float64Array(z.length);
      slow.evalInto(z, a);
      fast.evalInto(z, b);
      expect(Array.from(b)).toEqual(Array.from(a));
      // the selection's float32 kernel: the same value, rounded to float32 as it is stored
      const f32 = compileActivationKernel(entry);
      const want = new Float64Array(x.length);
      const got = new Float64Array(x.length);
      slow.applyAffineInto(x, { a: 0.7, b: 0.1, c: 1.2, d: -0.1 }, want);
      f32(x, got, 0.7, 0.1, 1.2, -0.1);
      if (entryPrimitive(entry)?.f === Math.tanh) {
        // tanh runs on the float32 rational (within 3e-8 of tanh): a float32 ulp or two apart
        for (let i = 0; i < x.length; i++)
          expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(want[i]!)));
        expect(Array.from(got)).not.toEqual(Array.from(want, Math.fround));
      } else {
        expect(Array.from(got)).toEqual(Array.from(want, Math.fround));
      }
    });
  }
});
