/**
 * training.json beside a trained model: where its data came from and how it was windowed and
 * split, so later steps (export, compare, reselection) can measure test error on exactly the
 * windows the model never trained on.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readNumericCsv, selectColumns } from '../../shared/io/csv.js';
import { readJsonWithSchema } from '../../shared/io/json-file.js';
import { DetectorSettingSchema, type ManifestTraining } from '../../shared/types/manifest.js';
import * as z from '../../shared/zod.js';
import { type ForecastStreamData, forecastData } from './windows.js';

export const TRAINING_FILE = 'training.json';

// zod/mini like shared/: the device bundle reads training.json too (export, predict)
export const ForecastRecordSchema = z.strictObject({
  task: z.literal('forecast'),
  data: z.string(),
  target: z.string(),
  inputs: z.array(z.string()).check(z.minLength(1)),
  window: z.int().check(z.positive()),
  horizon: z.int().check(z.positive()),
  seed: z.int(),
  testMse: z.number(),
  persistenceMse: z.number(),
});

/** A keyword spotter trained on the espeak-ng voice task (cloud/train/voice-train.ts). */
export const ClassifyRecordSchema = z.strictObject({
  task: z.literal('classify'),
  data: z.literal('voice'),
  /** Class names in output order (keywords, then 'other'); the device reports these. */
  classes: z.array(z.string()).check(z.minLength(2)),
  keywords: z.array(z.string()).check(z.minLength(1)),
  perClass: z.int().check(z.positive()),
  /** 'other' clips per keyword clip in training (absent: 3, the task default when it was not recorded). */
  otherMultiple: z.optional(z.int().check(z.positive())),
  /** Share of keyword utterances said with accent variants (absent: 0, as before it existed). */
  accentShare: z.optional(z.number().check(z.gte(0), z.lte(1))),
  seed: z.int(),
  testAccuracy: z.number().check(z.gte(0), z.lte(1)),
  /** The detector setting chosen on a validation stream (train --calibrate-s). */
  detector: z.optional(DetectorSettingSchema),
});

export const TrainingRecordSchema = z.discriminatedUnion('task', [
  ForecastRecordSchema,
  ClassifyRecordSchema,
]);

export type ForecastRecord = z.output<typeof ForecastRecordSchema>;
export type ClassifyRecord = z.output<typeof ClassifyRecordSchema>;
export type TrainingRecord = z.output<typeof TrainingRecordSchema>;

export function trainingRecordJson(r: TrainingRecord): string {
  const located = r.task === 'forecast' ? { ...r, data: resolve(r.data) } : r;
  return `${JSON.stringify(located, null, 2)}\n`;
}

export function readTrainingRecord(modelDir: string): TrainingRecord | null {
  const file = join(modelDir, TRAINING_FILE);
  return existsSync(file) ? readJsonWithSchema(TrainingRecordSchema, file) : null;
}

/**
 * What an exported bundle's manifest says about the model's training (manifest.training), so the
 * device reads the right columns at the right horizon and scales its residual drift detector by
 * the streaming test error without the training directory.
 */
export function manifestTraining(r: TrainingRecord): ManifestTraining {
  if (r.task === 'classify') {
    return {
      task: 'classify',
      classes: r.classes,
      testError: {
        metric: 'test_error_rate',
        value: 1 - r.testAccuracy,
        units: 'fraction',
        evaluation: 'clips',
      },
      ...(r.detector ? { detector: r.detector } : {}),
    };
  }
  return {
    task: 'forecast',
    inputs: r.inputs,
    target: r.target,
    horizon: r.horizon,
    testError: { metric: 'test_mse', value: r.testMse, units: 'target_squared', evaluation: 'streaming' },
  };
}

export function rebuildForecastData(r: ForecastRecord): ForecastStreamData {
  const table = readNumericCsv(r.data);
  const cols = r.inputs;
  return forecastData(selectColumns(table, cols, r.data), cols.length, cols.indexOf(r.target), r, r.data);
}
