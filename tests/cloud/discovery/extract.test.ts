import { describe, expect, it } from 'vitest';
import { measureNsPerElement } from '../../../cloud/discovery/cost.js';
import { nextLibraryVersion } from '../../../cloud/discovery/dedup.js';
import { extractEdge, extractEdges } from '../../../cloud/discovery/extract.js';
import { besselJ0 } from '../../../cloud/discovery/special.js';
import { compileActivation } from '../../../shared/activations/compile.js';
import { entryToJSON, parseActivationEntry } from '../../../shared/activations/entry.js';
import { classicLibrary } from '../../../shared/library/library.js';

function edge(f: (x: number) => number, lo: number, hi: number, n = 200) {
  const x = Array.from({ length: n }, (_, k) => lo + ((hi - lo) * k) / (n - 1));
  return { layer: 0, i: 1, j: 0, x, y: x.map(f) };
}

/** R² of the best affine fit c·g + d of the samples y (a shape match up to output affine). */
function affineR2(g: Float64Array, y: ArrayLike<number>): number {
  const n = g.length;
  let mg = 0;
  let my = 0;
  for (let k = 0; k < n; k++) [mg, my] = [mg + g[k] / n, my + y[k] / n];
  let sgg = 0;
  let sgy = 0;
  let syy = 0;
  for (let k = 0; k < n; k++) {
    sgg += (g[k] - mg) ** 2;
    sgy += (g[k] - mg) * (y[k] - my);
    syy += (y[k] - my) ** 2;
  }
  return (sgy * sgy) / (sgg * syy);
}

const provenance = { family: 'toy', run: 'r1', seed: 3 };

describe('extractor: edge samples → library entries', () => {
  it('J0(3x) on [-2, 2] becomes a chebyshev or rational entry with J0’s shape (affine R² ≥ 0.999)', () => {
    const e = edge((v) => besselJ0(3 * v), -2, 2);
    const { entry, snap } = extractEdge(e, { provenance });
    expect(snap).toBeNull();
    expect(['chebyshev', 'rational']).toContain(entry.form);
    expect(entry.tail).toBe('linear');
    const z = Float64Array.from(e.x, (v) => v / 2);
    const psi = new Float64Array(z.length);
    compileActivation(entry).evalInto(z, psi);
    expect(affineR2(psi, e.y)).toBeGreaterThanOrEqual(0.999);
    expect(entry.meta.fitError.maxAbs).toBeLessThanOrEqual(2e-3);
    expect(entry.meta.provenance).toMatchObject({
      source: 'kan',
      family: 'toy',
      run: 'r1',
      seed: 3,
      layer: 0,
      edge: '1->0',
    });
    expect(entry.meta.usage).toEqual({ count: 1, byTask: { toy: 1 } });
    expect(entry.meta.gradient.lipschitz).toBeGreaterThan(0);
    // a valid library entry: parses with its id checked
    expect(parseActivationEntry(JSON.parse(JSON.stringify(entryToJSON(entry))), 'test').id).toBe(entry.id);
  });

  it('an edge that snaps keeps its closed form, in canonical coordinates, with an extend tail', () => {
    const e = edge((v) => 0.5 * Math.sin(2 * v + 0.3) - 1, -1, 1);
    const { entry, snap } = extractEdge(e, { provenance });
    expect(snap?.fn).toBe('sin');
    expect(entry.form).toBe('symbolic');
    expect(entry.tail).toBe('extend');
    expect(entry.meta.fitError.maxAbs).toBeLessThan(1e-9);
    const y = new Float64Array(e.x.length);
    compileActivation(entry).applyAffineInto(Float64Array.from(e.x), entry.natural, y);
    for (const [k, v] of y.entries()) expect(v).toBeCloseTo(e.y[k], 9);
  });

  it('deduplicates an affine copy against the library and among new entries, bumping usage', () => {
    const a = extractEdge(
      edge((v) => besselJ0(3 * v), -2, 2),
      { provenance },
    ).entry;
    const copy = extractEdge(
      edge((v) => 2 * besselJ0(3 * (v - 1)) + 5, -1, 3),
      {
        provenance: { family: 'other' },
      },
    ).entry;
    const lib = classicLibrary();
    const { library, report } = nextLibraryVersion(lib, [a, copy]);
    expect(report.added).toEqual([a.id]);
    expect(report.duplicates).toHaveLength(1);
    expect(report.duplicates[0]).toMatchObject({ newName: copy.name, existingId: a.id });
    expect(report.duplicates[0]!.distance).toBeLessThan(0.02);
    const merged = library.entries.find((x) => x.id === a.id)!;
    expect(merged.meta.usage).toEqual({ count: 2, byTask: { other: 1, toy: 1 } });
    expect(library.version).toBe(lib.version + 1);
    expect(library.parent).toEqual({ version: lib.version, hash: lib.hash });
    expect(library.entries).toHaveLength(lib.entries.length + 1);
    // the next discovery of the same shape adds nothing
    const again = nextLibraryVersion(library, [a]);
    expect(again.report.added).toEqual([]);
    expect(again.library.entries.find((x) => x.id === a.id)!.meta.usage.count).toBe(3);
  });

  it('a snapped tanh edge is a duplicate of the classic tanh', () => {
    const t = extractEdge(
      edge((v) => Math.tanh(3 * v), -1, 1),
      { provenance },
    ).entry;
    const r = nextLibraryVersion(classicLibrary(), [t]);
    expect(r.report.duplicates[0]?.existingId).toBe(
      classicLibrary().entries.find((x) => x.name === 'tanh')!.id,
    );
  });

  it('is deterministic', () => {
    const e = edge((v) => besselJ0(3 * v), -2, 2);
    expect(extractEdge(e, { provenance })).toEqual(extractEdge(e, { provenance }));
  });

  it('measures ns per element in onnxruntime-node: positive, finite, cached per id', async () => {
    const [x] = await extractEdges([edge((v) => besselJ0(3 * v), -2, 2)], { provenance });
    const ns = x.entry.meta.cost.nsPerElement!;
    expect(Number.isFinite(ns)).toBe(true);
    expect(ns).toBeGreaterThan(0);
    expect(await measureNsPerElement(x.entry)).toBe(ns);
  });
});
