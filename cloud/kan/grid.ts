/**
 * Grid maintenance during training (KAN paper §2.4, pykan's update_grid_from_samples and
 * refine/initialize_grid_from_parent). Both keep the learned function: the spline part of
 * every edge is sampled on the old grid and refitted by least squares on the new one, on the
 * layer's inputs plus evenly spaced points over the new range (so sparse regions stay fitted).
 *
 *   updateKanGrid  same G, knots moved to follow the data (in place)
 *   refineKan      finer G (e.g. 5 → 10 → 20 → 50), knots interpolated from the old ones (new Kan)
 */
import { coefToCurve, curveToCoef, type SplineGrid } from '../../shared/numeric/bspline.js';
import { Kan } from './kan.js';
import type { KanLayer } from './layer.js';

/** Ridge of the refits, relative to unit-scale data (as in shared/numeric/bspline.ts). */
const REFIT_RIDGE = 1e-8;

/** Inner knots [G + 1] extended by k uniform knots of spacing (hi − lo)/G on each side. */
function extendKnots(inner: Float64Array, k: number, out: Float64Array, off: number): void {
  const G = inner.length - 1;
  const h = (inner[G]! - inner[0]!) / G;
  for (let r = 0; r < k; r++) {
    out[off + r] = inner[0]! - (k - r) * h;
    out[off + k + G + 1 + r] = inner[G]! + (r + 1) * h;
  }
  out.set(inner, off + k);
}

/**
 * Sample rows for the refit: x [batch, nIn] followed by `extra` rows spread evenly over each
 * input's [lo, hi] of the new grid. @returns [batch + extra, nIn]
 */
function fitPoints(x: Float64Array, batch: number, grid: SplineGrid, extra: number): Float64Array {
  const { nIn, G, k, knots } = grid;
  const M = G + 2 * k + 1;
  const pts = new Float64Array((batch + extra) * nIn);
  pts.set(x.subarray(0, batch * nIn));
  for (let i = 0; i < nIn; i++) {
    const lo = knots[i * M + k]!;
    const hi = knots[i * M + G + k]!;
    for (let s = 0; s < extra; s++) pts[(batch + s) * nIn + i] = lo + ((hi - lo) * s) / (extra - 1);
  }
  return pts;
}

/** Refit coef of `next` so its splines match those of `layer` (same nIn, nOut). */
function refit(layer: KanLayer, next: SplineGrid, x: Float64Array, batch: number): Float64Array {
  const pts = fitPoints(x, batch, next, 2 * (next.G + next.k) + 1);
  const y = coefToCurve(pts, layer.grid, layer.coef, layer.nOut);
  return curveToCoef(pts, y, next, layer.nOut, REFIT_RIDGE);
}

/**
 * pykan's update_grid_from_samples for one layer, in place: input i's G + 1 inner knots become
 * eps·uniform + (1 − eps)·quantiles of x[:, i] over [min, max], then coef is refitted.
 * @param x [batch, nIn] the layer's inputs over the data.
 * @param eps weight of the uniform grid (pykan's grid_eps); 1 = uniform over the data range.
 * @param margin share of the data range added beyond each end of the grid. With none, an input
 *   a little outside the training rows' range (a held-out row near a hidden node's extreme)
 *   falls past the last knot, where a fine spline extrapolates badly.
 */
export function updateLayerGrid(
  layer: KanLayer,
  x: Float64Array,
  batch: number,
  eps: number,
  margin = 0,
): void {
  const { nIn } = layer;
  const { G, k } = layer.grid;
  const M = G + 2 * k + 1;
  const knots = new Float64Array(nIn * M);
  const col = new Float64Array(batch);
  const inner = new Float64Array(G + 1);
  for (let i = 0; i < nIn; i++) {
    for (let b = 0; b < batch; b++) col[b] = x[b * nIn + i]!;
    col.sort();
    let lo = col[0]!;
    let hi = col[batch - 1]!;
    const degenerate = !(hi - lo > 1e-6 * Math.max(1, Math.abs(lo)));
    if (degenerate) {
      // a (nearly) constant input: a small uniform grid around it keeps the knots increasing
      lo -= 0.5;
      hi += 0.5;
    }
    for (let g = 0; g <= G; g++) {
      const uniform = lo + ((hi - lo) * g) / G;
      const adaptive = g === G ? col[batch - 1]! : col[Math.floor((batch / G) * g)]!;
      inner[g] = degenerate ? uniform : eps * uniform + (1 - eps) * adaptive;
    }
    const pad = margin * (hi - lo);
    inner[0]! -= pad;
    inner[G]! += pad;
    extendKnots(inner, k, knots, i * M);
  }
  const next: SplineGrid = { knots, nIn, G, k };
  const coef = refit(layer, next, x, batch);
  layer.grid.knots.set(knots);
  layer.coef.set(coef);
}

/** Update every layer's grid from the data, layer by layer (each on its refreshed inputs). */
export function updateKanGrid(kan: Kan, x: Float64Array, batch: number, eps: number, margin = 0): void {
  for (let l = 0; l < kan.layers.length; l++) {
    const h = kan.activations(x, batch)[l]!;
    updateLayerGrid(kan.layers[l]!, h, batch, eps, margin);
  }
}

/**
 * The layer on a grid of newG intervals: the inner knots are the old ones interpolated
 * piecewise linearly (so an adapted grid stays adapted, and newG = m·G contains the old knots),
 * and coef is refitted on x [batch, nIn].
 */
export function refineLayer(layer: KanLayer, newG: number, x: Float64Array, batch: number): KanLayer {
  const { nIn } = layer;
  const { G, k } = layer.grid;
  const M = G + 2 * k + 1;
  const newM = newG + 2 * k + 1;
  const knots = new Float64Array(nIn * newM);
  const inner = new Float64Array(newG + 1);
  for (let i = 0; i < nIn; i++) {
    for (let g = 0; g <= newG; g++) {
      const pos = (g * G) / newG;
      const a = Math.min(Math.floor(pos), G - 1);
      const t = pos - a;
      inner[g] = (1 - t) * layer.grid.knots[i * M + k + a]! + t * layer.grid.knots[i * M + k + a + 1]!;
    }
    extendKnots(inner, k, knots, i * newM);
  }
  const next: SplineGrid = { knots, nIn, G: newG, k };
  return { ...layer, grid: next, coef: refit(layer, next, x, batch) };
}

/** A new Kan with every layer refined to newG intervals (grid extension), fitted on the data x. */
export function refineKan(kan: Kan, newG: number, x: Float64Array, batch: number): Kan {
  const acts = kan.activations(x, batch);
  return new Kan(kan.layers.map((L, l) => refineLayer(L, newG, acts[l]!, batch)));
}
