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
  })
  .strict();

export type ExportManifest = z.output<typeof ExportManifestSchema>;
