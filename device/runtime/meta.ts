/**
 * What the device may know about a model beyond its weights: the input column names, the
 * forecast target and horizon, class names for classifiers and the streaming test error. An
 * exported bundle states them in its manifest (manifest.training, checked and signed with the
 * rest); a trained model directory, or a bundle exported before manifests carried them, has a
 * training.json beside it, read leniently: unknown or broken records give an empty meta, never
 * an error, since the device can run without.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DetectorSetting,
  DetectorSettingSchema,
  type ExportManifest,
} from '../../shared/types/manifest.js';

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
  /** A keyword spotter's detector setting validated in the cloud. */
  readonly detector: DetectorSetting | null;
  /** Where it was read from, for messages ('manifest.json training', 'training.json'). */
  readonly source: string | null;
}

export const EMPTY_META: ModelMeta = Object.freeze({
  inputNames: null,
  target: null,
  horizon: null,
  task: null,
  classes: null,
  testMse: null,
  detector: null,
  source: null,
});

/** The bundle's own statement of its training, or null for a manifest without one. */
export function metaFromManifest(manifest: ExportManifest): ModelMeta | null {
  const t = manifest.training;
  if (!t) return null;
  const mse = t.testError?.metric === 'test_mse' && t.testError.value > 0 ? t.testError.value : null;
  return {
    inputNames: t.inputs ?? null,
    target: t.target ?? null,
    horizon: t.horizon ?? null,
    task: t.task,
    classes: t.classes ?? null,
    testMse: mse,
    detector: t.detector ?? null,
    source: 'manifest.json training',
  };
}

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
    detector: DetectorSettingSchema.safeParse(r['detector']).data ?? null,
    source: 'training.json',
  };
}
