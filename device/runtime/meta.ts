/**
 * What the device may know about a model beyond its weights, read leniently from the
 * training.json beside it (a trained model directory has one, an exported bundle usually not):
 * the input column names, the forecast target and horizon, and class names for classifiers.
 * Unknown or broken records give an empty meta, never an error: the device can run without.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ModelMeta {
  /** Input column names in model order. */
  readonly inputNames: readonly string[] | null;
  /** The forecast target column. */
  readonly target: string | null;
  /** Steps ahead the model forecasts; its prediction at row t is scored against row t + horizon. */
  readonly horizon: number | null;
  /** 'forecast' for forecasters. */
  readonly task: string | null;
  /** Class names of a classifier, in output order. */
  readonly classes: readonly string[] | null;
  /** A forecaster's streaming test MSE in the target's units (what `train` reported). */
  readonly testMse: number | null;
}

export const EMPTY_META: ModelMeta = Object.freeze({
  inputNames: null,
  target: null,
  horizon: null,
  task: null,
  classes: null,
  testMse: null,
});

const strings = (v: unknown): string[] | null =>
  Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : null;

export function readModelMeta(dir: string): ModelMeta {
  const file = join(dir, 'training.json');
  if (!existsSync(file)) return EMPTY_META;
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return EMPTY_META;
  }
  if (typeof r !== 'object' || r === null) return EMPTY_META;
  return {
    inputNames: strings(r['inputs']),
    target: typeof r['target'] === 'string' ? r['target'] : null,
    horizon:
      Number.isInteger(r['horizon']) && (r['horizon'] as number) >= 0 ? (r['horizon'] as number) : null,
    task: typeof r['task'] === 'string' ? r['task'] : null,
    classes: strings(r['classes']),
    testMse:
      typeof r['testMse'] === 'number' && r['testMse'] > 0 && Number.isFinite(r['testMse'])
        ? r['testMse']
        : null,
  };
}
