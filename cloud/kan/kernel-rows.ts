/**
 * The inner loops of the fused KAN layer kernel (kernel.ts): for one (sample b, input i), all
 * nOut outgoing edges at once, reusing that input's k + 1 basis values. Degree 3 (the default)
 * is unrolled; the generic versions serve any degree. Kept apart from kernel.ts so the hot
 * loops can be read (and checked against each other) on one screen.
 */
import type { LayerGrads, LayerWork } from './kernel.js';
import type { KanLayer } from './layer.js';

/** Edges i → 0 … nOut − 1 for one (sample, input), degree 3 unrolled (the common case). */
export function cubicForward(
  coef: Float64Array,
  vals: Float64Array,
  vo: number,
  eo: number,
  nOut: number,
  nb: number,
  f0: number,
  si: number,
  wbm: Float64Array,
  wsm: Float64Array,
  out: Float64Array,
  ob: number,
  absMean: Float64Array | null,
): void {
  const v0 = vals[vo]!;
  const v1 = vals[vo + 1]!;
  const v2 = vals[vo + 2]!;
  const v3 = vals[vo + 3]!;
  let row = eo * nb + f0;
  for (let j = 0; j < nOut; j++, row += nb) {
    const e = eo + j;
    const sp = coef[row]! * v0 + coef[row + 1]! * v1 + coef[row + 2]! * v2 + coef[row + 3]! * v3;
    const phi = wbm[e]! * si + wsm[e]! * sp;
    out[ob + j] += phi;
    if (absMean) absMean[e] += Math.abs(phi);
  }
}

/** The same for any degree (w = k + 1 basis values). */
export function genericForward(
  coef: Float64Array,
  vals: Float64Array,
  vo: number,
  w: number,
  eo: number,
  nOut: number,
  nb: number,
  f0: number,
  si: number,
  wbm: Float64Array,
  wsm: Float64Array,
  out: Float64Array,
  ob: number,
  absMean: Float64Array | null,
): void {
  let row = eo * nb + f0;
  for (let j = 0; j < nOut; j++, row += nb) {
    const e = eo + j;
    let sp = 0;
    for (let r = 0; r < w; r++) sp += coef[row + r]! * vals[vo + r]!;
    const phi = wbm[e]! * si + wsm[e]! * sp;
    out[ob + j] += phi;
    if (absMean) absMean[e] += Math.abs(phi);
  }
}

/** Where one (sample b, input i) sits in the work buffers. */
export interface RowGrad {
  /** Offset of its basis values, (b·nIn + i)·(k + 1). */
  readonly vo: number;
  /** First edge, i·nOut. */
  readonly eo: number;
  /** Clamped window start. */
  readonly f0: number;
  /** silu(x_bi) and silu′(x_bi). */
  readonly si: number;
  readonly dsi: number;
  /** Offset of sample b's output row, b·nOut. */
  readonly ob: number;
}

/** Gradients of edges i → 0 … nOut − 1 for one (sample, input), degree 3 unrolled; returns ∂L/∂x_bi. */
export function cubicBackward(
  layer: KanLayer,
  work: LayerWork,
  row: RowGrad,
  gout: Float64Array,
  regGrad: Float64Array | null,
  grads: LayerGrads | null,
): number {
  const { coef, mask, nOut } = layer;
  const nb = layer.grid.G + 3;
  const { vals, ders, wbm, wsm } = work;
  const { vo, eo, si, dsi, ob } = row;
  const v0 = vals[vo]!;
  const v1 = vals[vo + 1]!;
  const v2 = vals[vo + 2]!;
  const v3 = vals[vo + 3]!;
  const d0 = ders[vo]!;
  const d1 = ders[vo + 1]!;
  const d2 = ders[vo + 2]!;
  const d3 = ders[vo + 3]!;
  const regScale = 1 / work.batch;
  let dx = 0;
  let r = eo * nb + row.f0;
  for (let j = 0; j < nOut; j++, r += nb) {
    const e = eo + j;
    const c0 = coef[r]!;
    const c1 = coef[r + 1]!;
    const c2 = coef[r + 2]!;
    const c3 = coef[r + 3]!;
    const sp = c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3;
    let g = gout[ob + j]!;
    if (regGrad) {
      const phi = wbm[e]! * si + wsm[e]! * sp;
      g += regGrad[e]! * regScale * (phi > 0 ? 1 : phi < 0 ? -1 : 0);
    }
    if (g === 0) continue;
    dx += g * (wbm[e]! * dsi + wsm[e]! * (c0 * d0 + c1 * d1 + c2 * d2 + c3 * d3));
    if (grads) {
      const gC = grads.coef;
      const gw = g * wsm[e]!;
      gC[r] += gw * v0;
      gC[r + 1] += gw * v1;
      gC[r + 2] += gw * v2;
      gC[r + 3] += gw * v3;
      grads.wb[e] += g * si * mask[e]!;
      grads.ws[e] += g * sp * mask[e]!;
    }
  }
  return dx;
}

/** The same for any degree. */
export function genericBackward(
  layer: KanLayer,
  work: LayerWork,
  row: RowGrad,
  gout: Float64Array,
  regGrad: Float64Array | null,
  grads: LayerGrads | null,
): number {
  const { coef, mask, nOut } = layer;
  const { k } = layer.grid;
  const nb = layer.grid.G + k;
  const w = k + 1;
  const { vals, ders, wbm, wsm } = work;
  const { vo, eo, si, dsi, ob } = row;
  const regScale = 1 / work.batch;
  let dx = 0;
  let r0 = eo * nb + row.f0;
  for (let j = 0; j < nOut; j++, r0 += nb) {
    const e = eo + j;
    let sp = 0;
    let slope = 0;
    for (let r = 0; r < w; r++) {
      sp += coef[r0 + r]! * vals[vo + r]!;
      slope += coef[r0 + r]! * ders[vo + r]!;
    }
    let g = gout[ob + j]!;
    if (regGrad) {
      const phi = wbm[e]! * si + wsm[e]! * sp;
      g += regGrad[e]! * regScale * (phi > 0 ? 1 : phi < 0 ? -1 : 0);
    }
    if (g === 0) continue;
    dx += g * (wbm[e]! * dsi + wsm[e]! * slope);
    if (grads) {
      const gw = g * wsm[e]!;
      for (let r = 0; r < w; r++) grads.coef[r0 + r] += gw * vals[vo + r]!;
      grads.wb[e] += g * si * mask[e]!;
      grads.ws[e] += g * sp * mask[e]!;
    }
  }
  return dx;
}
