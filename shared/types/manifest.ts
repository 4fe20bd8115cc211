/**
 * manifest.json of an exported bundle: what the ONNX files are, how to feed them, and what
 * they were made from. The device reads it before loading anything.
 */
import * as z from '../zod.js';
import { QUANTIZATIONS } from './profile.js';

export const EXPORT_FORMAT = 'liquidkan-export';
/** The manifest's file name in a bundle directory. */
export const MANIFEST_FILE = 'manifest.json';

const int = () => z.int();
const nonNegativeInt = () => z.int().check(z.nonnegative());
const positiveInt = () => z.int().check(z.positive());
const nonNegative = () => z.number().check(z.nonnegative());

const IoSchema = z.strictObject({ name: z.string(), dims: z.array(z.union([int(), z.string()])) });
const FileSchema = z.strictObject({
  file: z.string(),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  bytes: positiveInt(),
});

/** How a test error is measured: MSE in the target's units squared, or a fraction of clips. */
export const TEST_ERROR_UNITS = ['target_squared', 'fraction'] as const;

/**
 * What the model was trained for, so a bundle runs on its own (without the training directory's
 * training.json): which CSV columns feed which input, what it predicts how far ahead, and its
 * held-out streaming test error, the drift monitor's residual scale. Covered by the release
 * signature like every bundle file, and by the manifest's own checks on the device.
 */
/**
 * A keyword spotter's detector setting chosen in the cloud on a validation stream (voices
 * neither training nor the test uses): the lowest miss rate at ≤ 2 false accepts per hour. The
 * device detects with it unless told otherwise (shared/audio/detection.ts).
 */
export const DetectorSettingSchema = z.strictObject({
  threshold: z.number().check(z.gt(0), z.lte(1)),
  smoothClips: positiveInt(),
  /**
   * Milliseconds between the clips it was chosen on (smoothing counts clips, so it holds at this
   * hop); absent in bundles from before it was recorded, which were chosen at 100.
   */
  hopMs: z.optional(z.number().check(z.positive())),
  /** What it scored on the validation stream. */
  validation: z.strictObject({
    seconds: z.number().check(z.positive()),
    keywords: nonNegativeInt(),
    missRate: z.number().check(z.gte(0), z.lte(1)),
    falseAcceptsPerHour: nonNegative(),
  }),
});

export type DetectorSetting = z.output<typeof DetectorSettingSchema>;

export const ManifestTrainingSchema = z.strictObject({
  task: z.enum(['forecast', 'regress', 'classify']),
  /** Input column names in model order (as many as model.inputs). */
  inputs: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  /** The label column a prediction is scored against. */
  target: z.optional(z.string().check(z.minLength(1))),
  /** Samples between a prediction and its label (0: the same row). */
  horizon: z.optional(nonNegativeInt()),
  /** Class names of a classifier, in output order. */
  classes: z.optional(z.array(z.string()).check(z.minLength(2))),
  /**
   * The error training reported on the held-out part at fp32: a forecaster's streaming MSE (one
   * sample at a time, state carried), a classifier's error rate over held-out clips.
   */
  testError: z.optional(
    z.strictObject({
      metric: z.enum(['test_mse', 'test_error_rate']),
      value: nonNegative(),
      units: z.enum(TEST_ERROR_UNITS),
      evaluation: z.enum(['streaming', 'clips']),
    }),
  ),
  /** A keyword spotter's validated detector setting. */
  detector: z.optional(DetectorSettingSchema),
});

export type ManifestTraining = z.output<typeof ManifestTrainingSchema>;

export const ExportManifestSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  formatVersion: z.literal(1),
  createdBy: z.string(),
  profile: z.string(),
  quant: z.enum(QUANTIZATIONS),
  /** Each weight matrix's stored precision: an int8 export keeps some at fp16 when int8 costs too much. */
  weightPrecision: z.optional(z.record(z.string(), z.enum(QUANTIZATIONS))),
  onnx: z.strictObject({ irVersion: int(), opset: int() }),
  model: z.strictObject({
    inputs: positiveInt(),
    outputs: positiveInt(),
    stateWidth: nonNegativeInt(),
    dtDefault: z.number().check(z.positive()),
    parameters: positiveInt(),
    weightsSha256: z.string(),
  }),
  library: z.strictObject({ version: int(), hash: z.string() }),
  /** Per layer: how φ was exported (hard choice or the soft mixture). */
  selection: z.array(
    z.strictObject({
      layer: int(),
      kind: z.enum(['dense', 'liquid']),
      mode: z.enum(['soft', 'hard']),
      entries: z.array(z.strictObject({ id: z.string(), name: z.string(), weight: z.number() })),
    }),
  ),
  tau: z.strictObject({ default: z.array(z.number()), min: z.array(z.number()), max: z.array(z.number()) }),
  step: z.strictObject({ file: FileSchema, inputs: z.array(IoSchema), outputs: z.array(IoSchema) }),
  sequence: z.strictObject({ file: FileSchema, inputs: z.array(IoSchema), outputs: z.array(IoSchema) }),
  /**
   * Quantisation error against the float64 reference on a seeded probe sequence, and the
   * first-order bound derived from the weight quantisation step (for fp32: the float32
   * rounding of the weights, which the error column leaves out since the reference is float64).
   */
  accuracy: z.strictObject({
    probeSteps: positiveInt(),
    maxAbsErrorVsFp32: nonNegative(),
    boundVsFp32: nonNegative(),
    /** Test error of this precision next to fp32's, when the model's test data was at hand. */
    test: z.optional(
      z.strictObject({
        metric: z.string(),
        fp32: nonNegative(),
        value: nonNegative(),
        relativeIncrease: z.number(),
      }),
    ),
  }),
  training: z.optional(ManifestTrainingSchema),
});

export type ExportManifest = z.output<typeof ExportManifestSchema>;
