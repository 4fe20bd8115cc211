/** compactLibrary: builtins kept, the rest by usage and distinctness, within the entry budget. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../shared/errors.js';
import { compactionOrder, compactLibrary, compactLibraryReport } from '../../../shared/library/compact.js';
import { classicLibrary, makeLibrary } from '../../../shared/library/library.js';
import { bumpy, cubic, fitted } from './fixtures.js';

const classic = classicLibrary();
const bump = fitted('bump', bumpy, -2, 3, { count: 5, byTask: { pendulum: 5 } });
const bumpAgain = fitted('bump2', (x) => -4 * bumpy(0.5 * x - 1) + 7, -2, 8, {
  count: 9,
  byTask: { motor: 9 },
});
const cube = fitted('cube', cubic, -1.5, 1.5, { count: 1, byTask: { battery: 1 } });
const wave = fitted('wave', (x) => Math.sin(3 * x) + 0.5 * x, -1, 2, { count: 0, byTask: {} });
const lib = makeLibrary([...classic.entries, cube, bump, wave, bumpAgain], 5, classic);

describe('compactLibrary', () => {
  it('ranks by usage, then fit error, then id', () => {
    expect(compactionOrder([cube, bump, wave, bumpAgain]).map((e) => e.name)).toEqual([
      'bump2',
      'bump',
      'cube',
      'wave',
    ]);
  });

  it('keeps every builtin, folds near-duplicates, drops the least used beyond the budget', () => {
    const r = compactLibraryReport(lib, { libraryEntryBudget: 12, name: 'tiny' });
    const names = r.library.entries.map((e) => e.name);
    expect(names).toEqual([...classic.entries.map((e) => e.name), 'cube', 'bump2']);
    expect(r.merged.map((m) => [m.name, m.into])).toEqual([['bump', bumpAgain.id]]);
    expect(r.dropped).toEqual([wave.id]);
    const kept = r.library.entries.find((e) => e.name === 'bump2');
    expect(kept?.meta.usage).toEqual({ count: 14, byTask: { motor: 9, pendulum: 5 } });
    expect(r.library.version).toBe(6);
    expect(r.library.parent).toEqual({ version: 5, hash: lib.hash });
  });

  it('with room to spare only folds near-duplicates', () => {
    const out = compactLibrary(lib, { libraryEntryBudget: 64 });
    expect(out.entries.map((e) => e.name)).toEqual([
      ...classic.entries.map((e) => e.name),
      'cube',
      'wave',
      'bump2',
    ]);
  });

  it('refuses a budget below the builtins, naming the profile', () => {
    expect(() => compactLibrary(lib, { libraryEntryBudget: 4, name: 'tiny' })).toThrow(InputError);
    expect(() => compactLibrary(lib, { libraryEntryBudget: 4, name: 'tiny' })).toThrow(/tiny.*4.*10 builtin/);
  });
});
