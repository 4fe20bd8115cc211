/**
 * The extractor: every active KAN edge's samples become a portable activation (DESIGN "Portable
 * activation"). The input window [min x, max x] maps to z ∈ [-1, 1] and the output to [-1, 1]
 * (canonical.ts). An edge that snaps keeps its closed form as a symbolic entry, rewritten in
 * canonical coordinates; otherwise the cheapest series form within tolerance (series-fit.ts).
 * Tail: 'extend' only for a symbolic form that is safe on all of ℝ (tanh, sin, x²…), else
 * 'linear', so no entry explodes or jumps outside the window. Metadata comes from buildEntry
 * (gradient behaviour, ops) plus provenance, fit error on the samples, usage {count: 1, byTask:
 * {task: 1}} (the discovery itself is the first use) and, unless turned off, measured ns per
 * element (cost.ts). Deduplication against a library is dedup.ts.
 */
import { canonicalizeFunction, canonicalizeSamples } from '../../shared/activations/canonical.js';
import { compileActivation } from '../../shared/activations/compile.js';
import type { ActivationEntry, Provenance } from '../../shared/activations/entry.js';
import { type SymbolicParams, symbolicForm } from '../../shared/activations/forms/symbolic.js';
import { buildEntry } from '../../shared/activations/properties.js';
import type { Affine } from '../../shared/activations/types.js';
import { type CostOptions, withMeasuredCost } from './cost.js';
import { pickSeries, SERIES_DEFAULTS, type SeriesOptions, seriesCandidates } from './series-fit.js';
import { evalSnap, type SnapFit, type SnapOptions, snapEdge } from './symbolic.js';

/** Samples of one active edge (layer, i → j). */
export interface EdgeSamples {
  readonly layer: number;
  readonly i: number;
  readonly j: number;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** A snap already computed for this edge; undefined runs snapEdge, null forces a series form. */
  readonly snap?: SnapFit | null;
}

export interface ExtractOptions {
  readonly provenance?: Omit<Provenance, 'source' | 'layer' | 'edge'>;
  /** Task name for usage.byTask. @defaultValue provenance.family, else 'unknown' */
  readonly task?: string;
  readonly snap?: SnapOptions;
  readonly series?: SeriesOptions;
  /** Measure ns per element in onnxruntime-node (extractEdges only). @defaultValue true */
  readonly measureCost?: boolean;
  readonly cost?: CostOptions;
}

export interface ExtractedEdge {
  readonly layer: number;
  readonly i: number;
  readonly j: number;
  readonly entry: ActivationEntry;
  /** The snap behind a symbolic entry, else null. */
  readonly snap: SnapFit | null;
}

/** Symbolic params in canonical coordinates for a snapped fit on window [lo, hi]. */
export function canonicalSymbolic(
  fit: SnapFit,
  lo: number,
  hi: number,
): { params: SymbolicParams; natural: Affine } {
  const { natural } = canonicalizeFunction((x) => evalSnap(fit, x), lo, hi);
  const params = {
    fn: fit.fn,
    alpha: fit.a / natural.a,
    beta: fit.b - (fit.a * natural.b) / natural.a,
    gamma: fit.c / natural.c,
    delta: (fit.d - natural.d) / natural.c,
  };
  return { params: symbolicForm.parse(params, `snapped ${fit.fn} edge`), natural };
}

/** Error of the entry with its natural affine against the samples, in canonical units. */
function fitError(entry: ActivationEntry, x: ArrayLike<number>, y: ArrayLike<number>) {
  const xs = Float64Array.from(x);
  const out = new Float64Array(xs.length);
  compileActivation(entry).applyAffineInto(xs, entry.natural, out);
  let maxAbs = 0;
  let ss = 0;
  for (let k = 0; k < xs.length; k++) {
    const e = Math.abs(out[k] - y[k]) / entry.natural.c;
    maxAbs = Math.max(maxAbs, e);
    ss += e * e;
  }
  return { maxAbs, rms: Math.sqrt(ss / Math.max(xs.length, 1)) };
}

/** One edge → one entry, without the cost measurement (synchronous). */
export function extractEdge(edge: EdgeSamples, options: ExtractOptions = {}): ExtractedEdge {
  const family = options.provenance?.family;
  const task = options.task ?? family ?? 'unknown';
  const provenance: Provenance = {
    ...options.provenance,
    source: 'kan',
    layer: edge.layer,
    edge: `${edge.i}->${edge.j}`,
  };
  // names read as shape:task@edge, e.g. log:mel@L0.0-0, unique within a discovery run
  const label = `${options.task ?? family ?? 'kan'}@L${edge.layer}.${edge.i}-${edge.j}`;
  const canon = canonicalizeSamples(edge.x, edge.y);
  const snap = edge.snap === undefined ? snapEdge(edge.x, edge.y, options.snap).chosen : edge.snap;
  let entry: ActivationEntry | null = null;
  if (snap !== null) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < edge.x.length; k++) [lo, hi] = [Math.min(lo, edge.x[k]), Math.max(hi, edge.x[k])];
    try {
      const { params, natural } = canonicalSymbolic(snap, lo, hi);
      const tail = symbolicForm.extendable(params) ? 'extend' : 'linear';
      entry = buildEntry({
        name: `${snap.fn}:${label}`,
        form: 'symbolic',
        params,
        tail,
        natural,
        provenance,
      });
    } catch {
      entry = null; // a snap hugging a pole: keep the shape as a series instead
    }
  }
  if (entry === null) {
    const tol = options.series?.tol ?? SERIES_DEFAULTS.tol;
    const fit = pickSeries(seriesCandidates(canon.z, canon.psi, options.series), tol);
    const name = `${fit.form === 'chebyshev' ? 'cheb' : 'rat'}:${label}`;
    const base = { name, tail: 'linear' as const, natural: canon.natural, provenance };
    entry =
      fit.form === 'chebyshev'
        ? buildEntry({ ...base, form: 'chebyshev', params: fit.params })
        : buildEntry({ ...base, form: 'rational', params: fit.params });
  }
  const meta = {
    ...entry.meta,
    fitError: fitError(entry, edge.x, edge.y),
    usage: { count: 1, byTask: { [task]: 1 } },
  };
  return {
    layer: edge.layer,
    i: edge.i,
    j: edge.j,
    entry: { ...entry, meta },
    snap: entry.form === 'symbolic' ? snap : null,
  };
}

/** Every edge → an entry, with measured ns per element unless options.measureCost is false. */
export async function extractEdges(
  edges: readonly EdgeSamples[],
  options: ExtractOptions = {},
): Promise<ExtractedEdge[]> {
  const out: ExtractedEdge[] = [];
  for (const e of edges) {
    const x = extractEdge(e, options);
    const entry = options.measureCost === false ? x.entry : await withMeasuredCost(x.entry, options.cost);
    out.push({ ...x, entry });
  }
  return out;
}
