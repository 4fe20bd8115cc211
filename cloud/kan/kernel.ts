/**
 * The fused KAN layer kernel: forward and backward of a whole layer in two passes, without
 * per-element allocation.
 *
 * Forward, per (sample b, input i): evaluate the k + 1 basis functions that can be nonzero at
 * x_bi and silu(x_bi) once; then each of the nOut outgoing edges is a (k + 1)-term dot product
 * with its coefficient window plus w_b·silu. Backward reuses the stored window, basis values,
 * basis derivatives and silu′, and recomputes each edge's spline value (cheaper than storing
 * batch·nIn·nOut values). The window start is clamped into [0, G − 1] (basis entries that fall
 * outside the coefficient range are 0 anyway), so the inner loops have no bounds checks.
 *
 * Shapes: x [batch, nIn] → out [batch, nOut]; gradients match the layer's coef, wb, ws.
 * The per-(sample, input) edge loops live in kernel-rows.ts.
 */
import { basisWindow } from '../../shared/numeric/bspline.js';
import { cubicWindow } from './cubic-basis.js';
import { cubicBackward, cubicForward, genericBackward, genericForward, type RowGrad } from './kernel-rows.js';
import type { KanLayer } from './layer.js';
import { evalSymbolic, slopeSymbolic } from './symbolic.js';

/** Buffers for one layer at one batch size; reused across calls (see ensureWork). */
export interface LayerWork {
  readonly batch: number;
  /** The input of the last forward, [batch, nIn] (a reference, not a copy). */
  x: Float64Array;
  /** Clamped window start per (b, i), [batch, nIn]. */
  readonly first: Int32Array;
  /** Basis values and x-derivatives per (b, i), [batch, nIn, k + 1]. */
  readonly vals: Float64Array;
  readonly ders: Float64Array;
  /** silu and silu′ per (b, i), [batch, nIn]. */
  readonly silu: Float64Array;
  readonly dsilu: Float64Array;
  /** Layer output, [batch, nOut]. */
  readonly out: Float64Array;
  /** Mean |φ_e| over the batch per edge, [nIn·nOut]; filled when forward is asked for stats. */
  readonly absMean: Float64Array;
  /** Masked weights mask·w_b and mask·w_s, [nIn·nOut]. */
  readonly wbm: Float64Array;
  readonly wsm: Float64Array;
  readonly scratch: Float64Array;
}

/** Gradient buffers of one layer's parameters (accumulated into, never overwritten). */
export interface LayerGrads {
  readonly coef: Float64Array;
  readonly wb: Float64Array;
  readonly ws: Float64Array;
}

/** work when it fits this layer and batch, else a fresh one. */
export function ensureWork(layer: KanLayer, batch: number, work?: LayerWork): LayerWork {
  const { nIn, nOut } = layer;
  const { G, k } = layer.grid;
  const w = k + 1;
  if (
    work &&
    work.batch === batch &&
    work.first.length === batch * nIn &&
    work.vals.length === batch * nIn * w &&
    work.out.length === batch * nOut &&
    work.scratch.length === G + 2 * k + 1
  ) {
    return work;
  }
  return {
    batch,
    x: new Float64Array(0),
    first: new Int32Array(batch * nIn),
    vals: new Float64Array(batch * nIn * w),
    ders: new Float64Array(batch * nIn * w),
    silu: new Float64Array(batch * nIn),
    dsilu: new Float64Array(batch * nIn),
    out: new Float64Array(batch * nOut),
    absMean: new Float64Array(nIn * nOut),
    wbm: new Float64Array(nIn * nOut),
    wsm: new Float64Array(nIn * nOut),
    scratch: new Float64Array(G + 2 * k + 1),
  };
}

/**
 * Basis window at x with its start clamped into [0, nb − k − 1]: writes vals/ders[vo … vo + k]
 * for basis functions first … first + k and returns first.
 */
function clampedWindow(
  x: number,
  layer: KanLayer,
  i: number,
  work: LayerWork,
  vals: Float64Array,
  ders: Float64Array,
  vo: number,
): number {
  const { G, k, knots } = layer.grid;
  const M = G + 2 * k + 1;
  if (k === 3) {
    const fast = cubicWindow(x, knots, i * M, M, vals, ders, vo);
    if (fast >= 0) return fast;
  }
  const first = basisWindow(x, knots, i * M, M, k, work.scratch, vals, ders, vo);
  const last = G - 1; // nb − k − 1
  if (first >= 0 && first <= last) return first;
  const F = first < 0 ? 0 : last;
  const shift = first - F; // new[r] = old[r − shift]
  if (shift < 0) {
    for (let r = 0; r <= k; r++) {
      const src = r - shift;
      vals[vo + r] = src <= k ? vals[vo + src]! : 0;
      ders[vo + r] = src <= k ? ders[vo + src]! : 0;
    }
  } else {
    for (let r = k; r >= 0; r--) {
      const src = r - shift;
      vals[vo + r] = src >= 0 ? vals[vo + src]! : 0;
      ders[vo + r] = src >= 0 ? ders[vo + src]! : 0;
    }
  }
  return F;
}

/**
 * out[b, j] = Σ_i φ_ij(x[b, i]). With stats, also work.absMean[e] = mean_b |φ_e(x_b)| over
 * numeric edges (symbolic edges are not regularised and get 0).
 * @param x [batch, nIn]; kept by reference for backward.
 */
export function layerForward(
  layer: KanLayer,
  x: Float64Array,
  batch: number,
  work: LayerWork,
  stats = false,
): Float64Array {
  const { nIn, nOut, coef, mask } = layer;
  const { G, k } = layer.grid;
  const nb = G + k;
  const w = k + 1;
  const { first, vals, ders, silu, dsilu, out, absMean, wbm, wsm } = work;
  work.x = x;
  for (let e = 0; e < nIn * nOut; e++) {
    wbm[e] = mask[e]! * layer.wb[e]!;
    wsm[e] = mask[e]! * layer.ws[e]!;
  }
  out.fill(0);
  if (stats) absMean.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < nIn; i++) {
      const s = b * nIn + i;
      const xi = x[s]!;
      const vo = s * w;
      const f0 = clampedWindow(xi, layer, i, work, vals, ders, vo);
      first[s] = f0;
      const sig = 1 / (1 + Math.exp(-xi));
      const si = xi * sig;
      silu[s] = si;
      dsilu[s] = sig * (1 + xi * (1 - sig));
      if (k === 3)
        cubicForward(
          coef,
          vals,
          vo,
          i * nOut,
          nOut,
          nb,
          f0,
          si,
          wbm,
          wsm,
          out,
          b * nOut,
          stats ? absMean : null,
        );
      else
        genericForward(
          coef,
          vals,
          vo,
          w,
          i * nOut,
          nOut,
          nb,
          f0,
          si,
          wbm,
          wsm,
          out,
          b * nOut,
          stats ? absMean : null,
        );
    }
  }
  if (stats) for (let e = 0; e < nIn * nOut; e++) absMean[e] /= batch;
  forwardSymbolic(layer, x, batch, out);
  return out;
}

function forwardSymbolic(layer: KanLayer, x: Float64Array, batch: number, out: Float64Array): void {
  const { nIn, nOut, symbolic } = layer;
  for (let e = 0; e < nIn * nOut; e++) {
    const sym = symbolic[e];
    if (!sym) continue;
    const i = Math.floor(e / nOut);
    const j = e % nOut;
    for (let b = 0; b < batch; b++) out[b * nOut + j] += evalSymbolic(sym, x[b * nIn + i]!);
  }
}

/**
 * Backward of the last layerForward on work.
 * @param gout    [batch, nOut] ∂L/∂out.
 * @param regGrad [nIn·nOut] or null: ∂R/∂absMean_e, for the sparsity term; adds
 *                regGrad_e·sign(φ_e(x_b))/batch to each edge's output gradient.
 * @param grads   parameter gradients to add into, or null.
 * @param gx      [batch, nIn] receives ∂L/∂x (overwritten), or null when not needed.
 */
export function layerBackward(
  layer: KanLayer,
  work: LayerWork,
  gout: Float64Array,
  regGrad: Float64Array | null,
  grads: LayerGrads | null,
  gx: Float64Array | null,
): void {
  const { nIn, nOut } = layer;
  const { k } = layer.grid;
  const w = k + 1;
  const { batch, first, silu, dsilu } = work;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < nIn; i++) {
      const s = b * nIn + i;
      const vo = s * w;
      const f0 = first[s]!;
      const si = silu[s]!;
      const dsi = dsilu[s]!;
      const row: RowGrad = { vo, eo: i * nOut, f0, si, dsi, ob: b * nOut };
      const dx =
        k === 3
          ? cubicBackward(layer, work, row, gout, regGrad, grads)
          : genericBackward(layer, work, row, gout, regGrad, grads);
      if (gx) gx[s] = dx;
    }
  }
  if (gx) backwardSymbolic(layer, work.x, batch, gout, gx);
}

function backwardSymbolic(
  layer: KanLayer,
  x: Float64Array,
  batch: number,
  gout: Float64Array,
  gx: Float64Array,
): void {
  const { nIn, nOut, symbolic } = layer;
  for (let e = 0; e < nIn * nOut; e++) {
    const sym = symbolic[e];
    if (!sym) continue;
    const i = Math.floor(e / nOut);
    const j = e % nOut;
    for (let b = 0; b < batch; b++)
      gx[b * nIn + i] += gout[b * nOut + j]! * slopeSymbolic(sym, x[b * nIn + i]!);
  }
}
