/**
 * One KAN layer (pykan's KANLayer): nIn·nOut edges, each
 *   φ_ij(x) = mask_ij·(w_b,ij·silu(x) + w_s,ij·spline_ij(x)) + symbolic_ij(x)
 * and output j = Σ_i φ_ij(x_i). With `mult` > 0 the last 2·mult outputs are sub-nodes whose
 * pairs multiply into the next layer's product nodes (pykan 2's MultKAN, see mult.ts). Every input node i has its own extended knot vector, shared
 * by its nOut outgoing edges, so the k + 1 nonzero basis values are computed once per
 * (sample, input) and reused by all of them (see kernel.ts).
 *
 * Layouts (row-major, edge e = i·nOut + j, as in shared/numeric/bspline.ts):
 *   grid.knots [nIn, G + 2k + 1]
 *   coef       [nIn·nOut, G + k]
 *   wb, ws     [nIn·nOut]
 *   mask       [nIn·nOut]  1 = numeric part on, 0 = pruned or replaced by a symbolic edge
 *   symbolic   [nIn·nOut]  null or the fixed formula that replaces the edge
 * The trainable parameters of a layer are coef, wb and ws, in that order in the flat vector.
 */
import { type SplineGrid, uniformGrid } from '../../shared/numeric/bspline.js';
import type { Rng } from '../../shared/numeric/rng.js';
import type { SymbolicEdge } from './symbolic.js';

export interface KanLayer {
  readonly nIn: number;
  readonly nOut: number;
  readonly grid: SplineGrid;
  readonly coef: Float64Array;
  readonly wb: Float64Array;
  readonly ws: Float64Array;
  readonly mask: Float64Array;
  readonly symbolic: (SymbolicEdge | null)[];
  /** Product nodes fed by this layer's last 2·mult outputs (see mult.ts). @defaultValue 0 */
  readonly mult?: number;
}

export interface LayerInitOptions {
  /** Grid intervals per input. @defaultValue 5 */
  readonly G: number;
  /** Spline degree. @defaultValue 3 */
  readonly k: number;
  /** Initial grid range [lo, hi] of every input. @defaultValue [-1, 1] */
  readonly range: readonly [number, number];
  /** coef ~ U(−½, ½)·noiseScale/G, so each spline starts near 0 (pykan's noise_scale). @defaultValue 0.5 */
  readonly noiseScale: number;
  /** w_b ~ baseScale·U(−1, 1)/√nIn (pykan MultKAN: scale_base_sigma = 1, mu = 0). @defaultValue 1 */
  readonly baseScale: number;
  /** w_s = splineScale/√nIn (pykan MultKAN: scale_sp = 1). @defaultValue 1 */
  readonly splineScale: number;
}

export const LAYER_INIT_DEFAULTS: Readonly<LayerInitOptions> = Object.freeze({
  G: 5,
  k: 3,
  range: Object.freeze([-1, 1]) as readonly [number, number],
  noiseScale: 0.5,
  baseScale: 1,
  splineScale: 1,
});

/** Parameters of a layer in the flat vector: coef, then wb, then ws. */
export function layerParamCount(nIn: number, nOut: number, G: number, k: number): number {
  return nIn * nOut * (G + k + 2);
}

/** A freshly initialised layer (pykan's init, see LayerInitOptions), drawing from rng. */
export function createLayer(nIn: number, nOut: number, options: LayerInitOptions, rng: Rng): KanLayer {
  const { G, k, range, noiseScale, baseScale, splineScale } = options;
  const nE = nIn * nOut;
  const coef = new Float64Array(nE * (G + k));
  for (let c = 0; c < coef.length; c++) coef[c] = ((rng.next() - 0.5) * noiseScale) / G;
  const wb = new Float64Array(nE);
  for (let e = 0; e < nE; e++) wb[e] = (baseScale * (2 * rng.next() - 1)) / Math.sqrt(nIn);
  const ws = new Float64Array(nE).fill(splineScale / Math.sqrt(nIn));
  return {
    nIn,
    nOut,
    grid: uniformGrid(nIn, range[0], range[1], G, k),
    coef,
    wb,
    ws,
    mask: new Float64Array(nE).fill(1),
    symbolic: new Array<SymbolicEdge | null>(nE).fill(null),
  };
}

/** [lo, hi] of input i's grid: the inner knots t_k and t_{G+k}. */
export function gridRange(layer: KanLayer, i: number): [number, number] {
  const { G, k } = layer.grid;
  const M = G + 2 * k + 1;
  return [layer.grid.knots[i * M + k]!, layer.grid.knots[i * M + G + k]!];
}
