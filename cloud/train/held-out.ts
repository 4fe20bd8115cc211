/**
 * What an export measures a trained model on: its test error next to fp32's (the manifest's
 * figure) and the validation loss int8's mixed precision is chosen on, so the test figure stays
 * untouched by that choice. Any variant of the model (its quantised copy) is scored on the
 * standardised windows; the model's own scaling is for raw device units.
 */
import type { HybridModel } from '../../shared/model/model.js';
import type { VoiceData } from '../tasks/voice.js';
import { accuracy, evaluateLoss, evaluateMse } from './evaluate.js';
import type { ForecastData } from './windows.js';

export interface HeldOut {
  readonly testError: { readonly metric: string; readonly evaluate: (model: HybridModel) => number };
  readonly precisionBudget: { readonly validationLoss: (model: HybridModel) => number };
}

function standardised(model: HybridModel): HybridModel {
  const { scaling: _raw, ...rest } = model;
  return rest;
}

/** Test MSE in the target's units; validation MSE standardised. */
export function forecastHeldOut(data: ForecastData): HeldOut {
  const s2 = data.targetScaling.std ** 2;
  return {
    testError: { metric: 'test_mse', evaluate: (m) => evaluateMse(standardised(m), data.test) * s2 },
    precisionBudget: { validationLoss: (m) => evaluateMse(standardised(m), data.val) },
  };
}

/** Test error rate; validation cross-entropy. */
export function voiceHeldOut(data: VoiceData): HeldOut {
  return {
    testError: { metric: 'test_error_rate', evaluate: (m) => 1 - accuracy(standardised(m), data.test) },
    precisionBudget: { validationLoss: (m) => evaluateLoss(standardised(m), data.val, 'cross-entropy') },
  };
}
