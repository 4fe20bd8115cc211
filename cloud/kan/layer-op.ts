/**
 * A KAN layer as one autodiff op on the shared Tape, so KAN layers compose with any other op
 * (losses, liquid cells, extra heads). The fused kernel in kernel.ts does the work; this file
 * only wires its forward and backward into Tape.record.
 *
 *   x    [batch, nIn]
 *   coef [nIn·nOut, G + k], wb [nIn·nOut], ws [nIn·nOut]   (Vars over the layer's parameters)
 *   y    [batch, nOut]      y[b, j] = Σ_i φ_ij(x[b, i])
 *
 * The grid, mask and symbolic edges are constants of the op.
 */
import { ShapeError } from '../../shared/errors.js';
import { fmtShape } from '../../shared/numeric/ops-check.js';
import { type Tape, Var } from '../../shared/numeric/tape.js';
import { ensureWork, layerBackward, layerForward } from './kernel.js';
import type { KanLayer } from './layer.js';

/** Trainable Vars of one layer. */
export interface LayerVars {
  readonly coef: Var;
  readonly wb: Var;
  readonly ws: Var;
}

/** Vars that share memory with the layer's parameters (training them trains the layer). */
export function layerVars(layer: KanLayer, label = 'kan'): LayerVars {
  const nE = layer.nIn * layer.nOut;
  return {
    coef: Var.param(layer.coef, [nE, layer.grid.G + layer.grid.k], `${label}.coef`),
    wb: Var.param(layer.wb, [nE], `${label}.wb`),
    ws: Var.param(layer.ws, [nE], `${label}.ws`),
  };
}

/** The layer's output for x, recorded on the tape with gradients to x, coef, wb and ws. */
export function kanLayerOp(tape: Tape, x: Var, layer: KanLayer, vars: LayerVars): Var {
  const { nIn, nOut } = layer;
  const nE = nIn * nOut;
  if (x.shape.length !== 2 || x.shape[1] !== nIn) {
    throw new ShapeError(`kanLayerOp: x ${fmtShape(x.shape)} must be [batch, ${nIn}]`);
  }
  const nb = layer.grid.G + layer.grid.k;
  if (vars.coef.size !== nE * nb || vars.wb.size !== nE || vars.ws.size !== nE) {
    throw new ShapeError(
      `kanLayerOp: parameters ${fmtShape(vars.coef.shape)}, ${fmtShape(vars.wb.shape)}, ${fmtShape(vars.ws.shape)} do not fit a ${nIn}→${nOut} layer with ${nb} basis functions`,
    );
  }
  const batch = x.shape[0]!;
  const view: KanLayer = { ...layer, coef: vars.coef.data, wb: vars.wb.data, ws: vars.ws.data };
  const work = ensureWork(view, batch); // fresh buffers: several calls may share one tape
  const y = layerForward(view, x.data, batch, work);
  return tape.record(
    y,
    [batch, nOut],
    [x, vars.coef, vars.wb, vars.ws],
    (out) => {
      const anyParam = vars.coef.requiresGrad || vars.wb.requiresGrad || vars.ws.requiresGrad;
      const grads = anyParam
        ? {
            coef: vars.coef.grad ?? new Float64Array(vars.coef.size),
            wb: vars.wb.grad ?? new Float64Array(nE),
            ws: vars.ws.grad ?? new Float64Array(nE),
          }
        : null;
      const gx = x.requiresGrad ? new Float64Array(x.size) : null;
      layerBackward(view, work, out.grad!, null, grads, gx);
      if (gx) {
        const g = x.grad!;
        for (let s = 0; s < gx.length; s++) g[s] += gx[s]!;
      }
    },
    'kanLayer',
  );
}
