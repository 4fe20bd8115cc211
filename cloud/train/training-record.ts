/**
 * training.json beside a trained model: where its data came from and how it was windowed and
 * split, so later steps (export, compare, reselection) can measure test error on exactly the
 * windows the model never trained on.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readNumericCsv, selectColumns } from '../../shared/io/csv.js';
import { readJsonWithSchema } from '../../shared/io/json-file.js';
import type { HybridModel } from '../../shared/model/model.js';
import { evaluateMse } from './evaluate.js';
import { type ForecastData, forecastWindows } from './windows.js';

export const TRAINING_FILE = 'training.json';

export const ForecastRecordSchema = z
  .object({
    task: z.literal('forecast'),
    data: z.string(),
    target: z.string(),
    inputs: z.array(z.string()).min(1),
    window: z.number().int().positive(),
    horizon: z.number().int().positive(),
    seed: z.number().int(),
    testMse: z.number(),
    persistenceMse: z.number(),
  })
  .strict();

/** A keyword spotter trained on the espeak-ng voice task (cloud/train/voice-train.ts). */
export const ClassifyRecordSchema = z
  .object({
    task: z.literal('classify'),
    data: z.literal('voice'),
    /** Class names in output order (keywords, then 'other'); the device reports these. */
    classes: z.array(z.string()).min(2),
    keywords: z.array(z.string()).min(1),
    perClass: z.number().int().positive(),
    seed: z.number().int(),
    testAccuracy: z.number().min(0).max(1),
  })
  .strict();

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

export function rebuildForecastData(r: ForecastRecord): ForecastData {
  const table = readNumericCsv(r.data);
  const cols = r.inputs;
  return forecastWindows(selectColumns(table, cols, r.data), cols.length, cols.indexOf(r.target), r, r.data);
}

/**
 * Validation MSE (standardised) of any variant of the model: what an int8 export's mixed
 * precision is chosen on, so the test error stays untouched by that choice.
 */
export function forecastValidationLoss(data: ForecastData): (model: HybridModel) => number {
  return (model) => {
    const { scaling: _raw, ...standardised } = model;
    return evaluateMse(standardised, data.val);
  };
}

/**
 * Test MSE in the target's units of any variant of the model (e.g. its quantised copy): the
 * network runs on the standardised windows and the error is scaled back.
 */
export function forecastTestError(data: ForecastData): (model: HybridModel) => number {
  const s2 = data.targetScaling.std ** 2;
  return (model) => {
    const { scaling: _raw, ...standardised } = model;
    return evaluateMse(standardised, data.test) * s2;
  };
}
