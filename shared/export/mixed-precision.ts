/**
 * Mixed precision for int8 exports: which weight matrices stay at fp16 so that int8 costs at
 * most a given share of validation loss.
 *
 * int8 rounding is not equally harmless everywhere. A recurrent matrix feeds its own error
 * back every step, and a readout with one row per output shares a single scale across the
 * whole last layer; on a trending series (CO2) those two alone moved test MSE by 17% and 33%
 * (partly cancelling). Greedily, the matrix whose fp16 copy lowers the validation loss most
 * is promoted until the int8 model is within budget; the rest stay int8. Validation, not test
 * data, decides, so the test error the manifest reports stays an honest estimate.
 */
import { isWeightMatrix } from '../model/layout.js';
import type { HybridModel } from '../model/model.js';
import { quantizeWeights } from './quantize-model.js';

export interface PrecisionBudget {
  /** Loss on held-out validation data of any variant of the model. */
  readonly validationLoss: (model: HybridModel) => number;
  /** Largest relative increase of validation loss int8 may cost. @defaultValue 0.01 */
  readonly relative?: number;
}

/** Matrices to keep at fp16 in an int8 export, fewest first promoted; empty when int8 is within budget. */
export function fp16Exceptions(model: HybridModel, budget: PrecisionBudget): Set<string> {
  const limit = budget.relative ?? 0.01;
  const base = budget.validationLoss(quantizeWeights(model, 'fp32').model);
  const keep = new Set<string>();
  if (!(base > 0)) return keep;
  const cost = () => budget.validationLoss(quantizeWeights(model, 'int8', keep).model) / base - 1;
  const matrices = [...model.params.keys()].filter(isWeightMatrix);
  let current = cost();
  while (current > limit && keep.size < matrices.length) {
    let best = '';
    let bestCost = Infinity;
    for (const m of matrices) {
      if (keep.has(m)) continue;
      keep.add(m);
      const c = cost();
      keep.delete(m);
      if (c < bestCost) {
        best = m;
        bestCost = c;
      }
    }
    keep.add(best);
    current = bestCost;
  }
  return keep;
}
