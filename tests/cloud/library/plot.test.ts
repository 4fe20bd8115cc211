/** The gallery SVG: well-formed, one panel per entry with its name, no NaN anywhere. */
import { describe, expect, it } from 'vitest';
import { librarySvg } from '../../../cloud/library/plot.js';
import { escapeXml, niceTicks, pathData, shortNumber } from '../../../cloud/library/svg.js';
import { classicLibrary, makeLibrary } from '../../../shared/library/library.js';
import { bumpy, fitted } from '../../shared/library/fixtures.js';

/** A minimal well-formedness check: tags balance and nest, attributes are quoted, entities known. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const between = xml.slice(last, m.index);
    expect(between).not.toMatch(/[<>]/);
    expect(between.replace(/&(amp|lt|gt|quot|apos);/g, '')).not.toContain('&');
    last = tag.lastIndex;
    if (m[4]) continue;
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else stack.push(m[2]);
  }
  expect(xml.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
}

const lib = makeLibrary(
  [
    ...classicLibrary().entries,
    fitted('a<b & "c"', bumpy, -2, 3, { count: 4, byTask: { pendulum: 3, motor: 1 } }),
  ],
  2,
  classicLibrary(),
);

describe('librarySvg', () => {
  const svg = librarySvg(lib);

  it('is well-formed SVG with one panel per entry, each named', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    assertWellFormed(svg);
    expect(svg.match(/<g class="panel"/g)).toHaveLength(lib.entries.length);
    for (const e of lib.entries) {
      expect(svg).toContain(`>${escapeXml(e.name)}</text>`);
      expect(svg).toContain(`data-id="${e.id}"`);
    }
  });

  it('titles the gallery with the version, hash prefix and parent', () => {
    expect(svg).toContain(`v2 · hash ${lib.hash.slice(0, 12)}`);
    expect(svg).toContain(`parent v1 (${lib.parent?.hash.slice(0, 8)})`);
  });

  it('has no NaN or Infinity in any coordinate', () => {
    expect(svg).not.toMatch(/NaN|Infinity/);
    for (const d of svg.matchAll(/ d="([^"]*)"/g)) expect(d[1]).toMatch(/^M[-\d. LM]+$/);
  });

  it('shows provenance, fit error and usage', () => {
    expect(svg).toContain('kan · test · layer 0 · edge 0-&gt;1');
    expect(svg).toContain('used 4 (2 tasks)');
  });
});

describe('svg helpers', () => {
  it('niceTicks covers the range at a 1-2-5 step', () => {
    expect(niceTicks(-4.5, 4.5)).toEqual([-4, -2, 0, 2, 4]);
    expect(niceTicks(-1.16, 1.16)).toEqual([-1, -0.5, 0, 0.5, 1]);
  });

  it('pathData breaks the line at non-finite points', () => {
    expect(pathData([0, 1, 2, 3], [0, Number.NaN, 2, 3])).toBe('M0 0 M2 2 L3 3');
  });

  it('shortNumber prints 3 significant digits with a true minus', () => {
    expect(shortNumber(-0.5)).toBe('−0.5');
    expect(shortNumber(1.23456)).toBe('1.23');
    expect(shortNumber(1.2e-7)).toBe('1.2e-7');
  });
});
