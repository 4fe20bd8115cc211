/** evaluateNatural gives back the original function; resolveEntry finds entries by id, name or prefix. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../shared/errors.js';
import { evaluateNatural, evenlySpaced, resolveEntry } from '../../../shared/library/evaluate.js';
import { classicLibrary, makeLibrary } from '../../../shared/library/library.js';
import { bumpy, fitted } from './fixtures.js';

const classic = classicLibrary();

describe('evaluateNatural', () => {
  it('is tanh, sigmoid and relu for their builtins, far into the tails', () => {
    const xs = evenlySpaced(-20, 20, 81);
    const y = (name: string) => evaluateNatural(resolveEntry(classic, name), xs);
    xs.forEach((x, i) => {
      expect(y('tanh')[i]).toBeCloseTo(Math.tanh(x), 12);
      expect(y('sigmoid')[i]).toBeCloseTo(1 / (1 + Math.exp(-x)), 12);
      expect(y('relu')[i]).toBeCloseTo(Math.max(0, x), 12);
    });
  });

  it('is the fitted function on its window', () => {
    const e = fitted('bump', bumpy, -2, 3);
    const xs = evenlySpaced(-2, 3, 11);
    evaluateNatural(e, xs).forEach((v, i) => {
      expect(v).toBeCloseTo(bumpy(xs[i]), 5);
    });
  });

  it('evenlySpaced hits both ends exactly', () => {
    expect(Array.from(evenlySpaced(-1, 1, 5))).toEqual([-1, -0.5, 0, 0.5, 1]);
  });
});

describe('resolveEntry', () => {
  const tanh = classic.entries[3];
  it('takes an id, a unique name or a unique id prefix', () => {
    expect(resolveEntry(classic, tanh.id)).toBe(tanh);
    expect(resolveEntry(classic, 'tanh')).toBe(tanh);
    expect(resolveEntry(classic, tanh.id.slice(0, 6))).toBe(tanh);
  });

  it('refuses an unknown or ambiguous reference, listing the entries', () => {
    expect(() => resolveEntry(classic, 'nope')).toThrow(InputError);
    expect(() => resolveEntry(classic, 'nope')).toThrow(/no entry .*'nope'.*tanh/);
    const a = fitted('twin', bumpy, -2, 3);
    const b = fitted('twin', Math.sin, -2, 2);
    expect(() => resolveEntry(makeLibrary([a, b], 1), 'twin')).toThrow(/ambiguous/);
  });
});
