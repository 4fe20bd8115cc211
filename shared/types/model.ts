/**
 * model.json: the description of a liquid hybrid. Weights live beside it in weights.bin
 * (float64, little-endian, tensors in the order listed) and the candidate activations in the
 * model directory's library.json, so a model directory is self-contained.
 */
import * as z from '../zod.js';

export const MODEL_FORMAT = 'liquidkan-model';
/** 2: model.json carries `sha256` over its whole description; version 1 files (without) still load. */
export const MODEL_FORMAT_VERSION = 2;

const nonNegativeInt = () => z.int().check(z.nonnegative());
const positiveInt = () => z.int().check(z.positive());
const positive = () => z.number().check(z.positive());
const SHA256 = /^[0-9a-f]{64}$/;

export const SelectorSchema = z
  .strictObject({
    /** Library entry ids the layer may use, in the order of logits and affine rows. */
    candidates: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    /** 'soft': softmax mixture of every candidate; 'hard': only candidates[chosen]. */
    mode: z.enum(['soft', 'hard']),
    /** Softmax temperature of the soft mixture (annealed towards 0 in training). */
    temperature: positive(),
    chosen: nonNegativeInt(),
  })
  .check(
    z.refine((s) => s.chosen < s.candidates.length, {
      message: 'chosen must index into candidates',
      path: ['chosen'],
    }),
  );

export const DenseLayerSchema = z.strictObject({
  kind: z.literal('dense'),
  units: positiveInt(),
  selector: SelectorSchema,
});

export const LiquidLayerSchema = z
  .strictObject({
    kind: z.literal('liquid'),
    units: positiveInt(),
    /** τ = tauMin + (tauMax - tauMin)·sigmoid(ρ), per neuron, in the time unit of Δt. */
    tauMin: positive(),
    tauMax: positive(),
    selector: SelectorSchema,
  })
  .check(z.refine((l) => l.tauMax > l.tauMin, { message: 'tauMax must exceed tauMin', path: ['tauMax'] }));

export const LayerSchema = z.union([DenseLayerSchema, LiquidLayerSchema]);

/**
 * Raw units at the model's boundary: the network works in standardised units, inputs are
 * mapped in as (x − inputMean)/inputStd and outputs out as y·outputStd + outputMean.
 */
export const ScalingSchema = z.strictObject({
  inputMean: z.array(z.number()),
  inputStd: z.array(positive()),
  outputMean: z.array(z.number()),
  outputStd: z.array(positive()),
});

export const TensorRecordSchema = z.strictObject({ name: z.string(), shape: z.array(nonNegativeInt()) });

export const ModelJsonSchema = z
  .strictObject({
    format: z.literal(MODEL_FORMAT),
    formatVersion: z.union([z.literal(1), z.literal(MODEL_FORMAT_VERSION)]),
    inputs: positiveInt(),
    outputs: positiveInt(),
    /** Dense layers first, then liquid layers, then the linear readout. */
    layers: z.array(LayerSchema).check(z.minLength(1)),
    /** Δt used when a caller gives none (same unit as τ). */
    dtDefault: positive(),
    scaling: z.optional(ScalingSchema),
    /**
     * Index of an input added to every output (in standardised units) before the output scaling:
     * a persistence skip, so a forecaster learns the change instead of the level.
     */
    residualInput: z.optional(nonNegativeInt()),
    seed: z.int(),
    library: z.strictObject({ version: nonNegativeInt(), hash: z.string() }),
    weights: z.strictObject({
      file: z.literal('weights.bin'),
      sha256: z.string().check(z.regex(SHA256)),
      tensors: z.array(TensorRecordSchema),
    }),
    createdBy: z.optional(z.string()),
    /**
     * sha256 over the canonical JSON of this description without this field (every layer, τ
     * bound, selector choice, dtDefault, scaling, the library's version and hash and the weights'
     * sha256), so an edited model.json is refused (shared/model/store.ts). Required from format 2.
     */
    sha256: z.optional(z.string().check(z.regex(SHA256))),
  })
  .check(
    z.refine((m) => m.formatVersion === 1 || m.sha256 !== undefined, {
      message: 'format 2 needs the sha256 of the description',
      path: ['sha256'],
    }),
    z.refine(
      (m) =>
        !m.scaling ||
        (m.scaling.inputMean.length === m.inputs &&
          m.scaling.inputStd.length === m.inputs &&
          m.scaling.outputMean.length === m.outputs &&
          m.scaling.outputStd.length === m.outputs),
      { message: 'scaling arrays must have one value per input and per output', path: ['scaling'] },
    ),
    z.refine((m) => m.residualInput === undefined || m.residualInput < m.inputs, {
      message: 'residualInput must index one of the inputs',
      path: ['residualInput'],
    }),
  );

export type Scaling = z.output<typeof ScalingSchema>;
export type SelectorSpec = z.output<typeof SelectorSchema>;
export type DenseLayerSpec = z.output<typeof DenseLayerSchema>;
export type LiquidLayerSpec = z.output<typeof LiquidLayerSchema>;
export type LayerSpec = z.output<typeof LayerSchema>;
export type ModelJson = z.output<typeof ModelJsonSchema>;
