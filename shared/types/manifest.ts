/**
 * manifest.json of an exported bundle: what the ONNX files are, how to feed them, and what
 * they were made from. The device reads it before loading anything.
 */
import { z } from 'zod';
import { QUANTIZATIONS } from './profile.js';

export const EXPORT_FORMAT = 'liquidkan-export';
/** The manifest's file name in a bundle directory. */
export const MANIFEST_FILE = 'manifest.json';

const IoSchema = z
  .object({ name: z.string(), dims: z.array(z.union([z.number().int(), z.string()])) })
  .strict();
const FileSchema = z
  .object({
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
  })
  .strict();

/** How a test error is measured: MSE in the target's units squared, or a fraction of clips. */
export const TEST_ERROR_UNITS = ['target_squared', 'fraction'] as const;

/**
 * What the model was trained for, so a bundle runs on its own (without the training directory's
 * training.json): which CSV columns feed which input, what it predicts how far ahead, and its
 * held-out streaming test error, the drift monitor's residual scale. Covered by the release
 * signature like every bundle file, and by the manifest's own checks on the device.
 */
export const ManifestTrainingSchema = z
  .object({
    task: z.enum(['forecast', 'regress', 'classify']),
    /** Input column names in model order (as many as model.inputs). */
    inputs: z.array(z.string().min(1)).min(1).optional(),
    /** The label column a prediction is scored against. */
    target: z.string().min(1).optional(),
    /** Samples between a prediction and its label (0: the same row). */
    horizon: z.number().int().nonnegative().optional(),
    /** Class names of a classifier, in output order. */
    classes: z.array(z.string()).min(2).optional(),
    /**
     * The error training reported on the held-out part at fp32: a forecaster's streaming MSE (one
     * sample at a time, state carried), a classifier's error rate over held-out clips.
     */
    testError: z
      .object({
        metric: z.enum(['test_mse', 'test_error_rate']),
        value: z.number().nonnegative(),
        units: z.enum(TEST_ERROR_UNITS),
        evaluation: z.enum(['streaming', 'clips']),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ManifestTraining = z.output<typeof ManifestTrainingSchema>;

export const ExportManifestSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    formatVersion: z.literal(1),
    createdBy: z.string(),
    profile: z.string(),
    quant: z.enum(QUANTIZATIONS),
    /** Each weight matrix's stored precision: an int8 export keeps some at fp16 when int8 costs too much. */
    weightPrecision: z.record(z.string(), z.enum(QUANTIZATIONS)).optional(),
    onnx: z.object({ irVersion: z.number().int(), opset: z.number().int() }).strict(),
    model: z
      .object({
        inputs: z.number().int().positive(),
        outputs: z.number().int().positive(),
        stateWidth: z.number().int().nonnegative(),
        dtDefault: z.number().positive(),
        parameters: z.number().int().positive(),
        weightsSha256: z.string(),
      })
      .strict(),
    library: z.object({ version: z.number().int(), hash: z.string() }).strict(),
    /** Per layer: how φ was exported (hard choice or the soft mixture). */
    selection: z.array(
      z
        .object({
          layer: z.number().int(),
          kind: z.enum(['dense', 'liquid']),
          mode: z.enum(['soft', 'hard']),
          entries: z.array(z.object({ id: z.string(), name: z.string(), weight: z.number() }).strict()),
        })
        .strict(),
    ),
    tau: z
      .object({ default: z.array(z.number()), min: z.array(z.number()), max: z.array(z.number()) })
      .strict(),
    step: z.object({ file: FileSchema, inputs: z.array(IoSchema), outputs: z.array(IoSchema) }).strict(),
    sequence: z.object({ file: FileSchema, inputs: z.array(IoSchema), outputs: z.array(IoSchema) }).strict(),
    /**
     * Quantisation error against the float64 reference on a seeded probe sequence, and the
     * first-order bound derived from the weight quantisation step (for fp32: the float32
     * rounding of the weights, which the error column leaves out since the reference is float64).
     */
    accuracy: z
      .object({
        probeSteps: z.number().int().positive(),
        maxAbsErrorVsFp32: z.number().nonnegative(),
        boundVsFp32: z.number().nonnegative(),
        /** Test error of this precision next to fp32's, when the model's test data was at hand. */
        test: z
          .object({
            metric: z.string(),
            fp32: z.number().nonnegative(),
            value: z.number().nonnegative(),
            relativeIncrease: z.number(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    training: ManifestTrainingSchema.optional(),
  })
  .strict();

export type ExportManifest = z.output<typeof ExportManifestSchema>;
