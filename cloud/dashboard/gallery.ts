/**
 * GET /api/library: the gallery's data. Every entry of the current library (or the built-in
 * classic one before the first library is written) with its form, provenance, usage, cost, fit
 * error and gradient metadata, plus its canonical curve ψ(z) sampled by the shared activation
 * code (compileActivation, the same evaluation training and the device use): 101 points on the
 * domain z ∈ [-1, 1] and 25 more on each tail out to |z| = 1.5, so the tail policy shows.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type ActivationEntry, compileActivation } from '../../shared/activations/index.js';
import {
  type ActivationLibrary,
  classicLibrary,
  LIBRARY_FILE,
  loadLibrary,
} from '../../shared/library/library.js';

/** Curve samples: z = (i − 75) / 50 for i = 0..150, exact at ±1 and ±1.5. */
export const CURVE = Object.freeze({ points: 151, domainPoints: 101, reach: 1.5 });

export interface GalleryEntry {
  readonly id: string;
  readonly name: string;
  readonly form: ActivationEntry['form'];
  /** The form's parameters in one line, e.g. "sin(α·z + β)" or "Chebyshev degree 9". */
  readonly formDetail: string;
  readonly tail: ActivationEntry['tail'];
  readonly natural: ActivationEntry['natural'];
  readonly provenance: ActivationEntry['meta']['provenance'];
  readonly usage: ActivationEntry['meta']['usage'];
  readonly cost: ActivationEntry['meta']['cost'];
  readonly fitError: ActivationEntry['meta']['fitError'];
  readonly gradient: ActivationEntry['meta']['gradient'];
  /** ψ(z) at z; null where ψ is not finite. */
  readonly curve: { readonly z: number[]; readonly psi: (number | null)[] };
}

export interface GalleryData {
  /** 'classic': the built-in library (no library written yet); 'library': the current library.json. */
  readonly source: 'classic' | 'library';
  readonly version: number;
  readonly hash: string;
  readonly parent?: { readonly version: number; readonly hash: string };
  readonly entries: GalleryEntry[];
}

function curveZ(): Float64Array {
  const z = new Float64Array(CURVE.points);
  const half = (CURVE.points - 1) / 2;
  const perUnit = (CURVE.domainPoints - 1) / 2;
  for (let i = 0; i < z.length; i++) z[i] = (i - half) / perUnit;
  return z;
}

const round = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(7)) : null);

function formDetail(e: ActivationEntry): string {
  const p = e.params as unknown as Record<string, unknown>;
  switch (e.form) {
    case 'classic':
      return String(p['fn']);
    case 'symbolic':
      return `γ·${String(p['fn'])}(α·z + β) + δ`;
    case 'chebyshev':
      return `Chebyshev degree ${(p['coeffs'] as unknown[]).length - 1}`;
    case 'rational': {
      const num = (p['p'] as unknown[]).length - 1;
      const den = 2 * (p['q'] as unknown[]).length;
      return `rational P${num}/Q${den}`;
    }
    default:
      return e.form;
  }
}

export function galleryEntry(e: ActivationEntry, z: Float64Array = curveZ()): GalleryEntry {
  const psi = new Float64Array(z.length);
  compileActivation(e).evalInto(z, psi);
  const m = e.meta;
  return {
    id: e.id,
    name: e.name,
    form: e.form,
    formDetail: formDetail(e),
    tail: e.tail,
    natural: e.natural,
    provenance: m.provenance,
    usage: m.usage,
    cost: m.cost,
    fitError: m.fitError,
    gradient: m.gradient,
    curve: { z: Array.from(z), psi: Array.from(psi, round) },
  };
}

export function galleryData(lib: ActivationLibrary, source: GalleryData['source']): GalleryData {
  const z = curveZ();
  return {
    source,
    version: lib.version,
    hash: lib.hash,
    ...(lib.parent ? { parent: lib.parent } : {}),
    entries: lib.entries.map((e) => galleryEntry(e, z)),
  };
}

/**
 * The gallery of whatever `libraryDir()` points at, rebuilt only when library.json changes
 * (path, size or modification time) so a page refresh costs a stat.
 */
export class Gallery {
  #key = '';
  #data: GalleryData | null = null;

  constructor(private readonly libraryDir: () => string | null) {}

  current(): GalleryData {
    const dir = this.libraryDir();
    let key = 'classic';
    if (dir !== null) {
      const file = join(dir, LIBRARY_FILE);
      const st = statSync(file);
      key = `${file}:${st.size}:${st.mtimeMs}`;
    }
    if (this.#data && key === this.#key) return this.#data;
    const data =
      dir === null ? galleryData(classicLibrary(), 'classic') : galleryData(loadLibrary(dir), 'library');
    this.#key = key;
    this.#data = data;
    return data;
  }
}
