/**
 * What an export measures a trained model on: its test error next to fp32's (the manifest's
 * figure) and the validation loss int8's mixed precision is chosen on, so the test figure stays
 * untouched by that choice. A forecaster, and any variant of it (its quantised copy), is scored
 * by the streaming evaluator on the standardised stream (state carried from the first row, the
 * test tail scored, in the target's units); the model's own scaling is for raw device units.
 */
import { meanOf } from '../../shared/eval/streaming.js';
import type { HybridModel } from '../../shared/model/model.js';
import type { VoiceData } from '../tasks/voice.js';
import { accuracy, evaluateLoss, streamTestErrors, streamValidationErrors } from './evaluate.js';
import type { ForecastStreamData } from './windows.js';

export interface HeldOut {
  readonly testError: { readonly metric: string; readonly evaluate: (model: HybridModel) => number };
  readonly precisionBudget: { readonly validationLoss: (model: HybridModel) => number };
}

function standardised(model: HybridModel): HybridModel {
  const { scaling: _raw, ...rest } = model;
  return rest;
}

/** Streaming test MSE in the target's units; streaming validation MSE standardised. */
export function forecastHeldOut(data: ForecastStreamData): HeldOut {
  const s2 = data.targetScaling.std ** 2;
  return {
    testError: {
      metric: 'test_mse',
      evaluate: (m) => meanOf(streamTestErrors(standardised(m), data.stream)) * s2,
    },
    precisionBudget: {
      validationLoss: (m) => meanOf(streamValidationErrors(standardised(m), data.stream)),
    },
  };
}

/** Test error rate; validation cross-entropy. */
export function voiceHeldOut(data: VoiceData): HeldOut {
  return {
    testError: { metric: 'test_error_rate', evaluate: (m) => 1 - accuracy(standardised(m), data.test) },
    precisionBudget: { validationLoss: (m) => evaluateLoss(standardised(m), data.val, 'cross-entropy') },
  };
}
