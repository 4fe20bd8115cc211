/**
 * Firmware profile: what one class of board can run. One JSON file per board class in
 * firmware-profiles/, validated by this schema on both sides (the cloud exports for it, the
 * device runtime enforces its budgets).
 */
import * as z from '../zod.js';

export const QUANTIZATIONS = ['fp32', 'fp16', 'int8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

export const ENGINE_NAMES = ['native', 'wasm', 'js'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

const positiveInt = () => z.int().check(z.positive());

export const FirmwareProfileSchema = z
  .strictObject({
    name: z.string().check(z.regex(/^[a-z0-9-]+$/)),
    description: z.string(),
    board: z.string(),
    /** CPU architectures the board runs; onnxruntime-node has no 32-bit ARM build. */
    arch: z.array(z.enum(['arm64', 'armv7', 'x64'])).check(z.minLength(1)),
    cores: positiveInt(),
    memoryMB: positiveInt(),
    /** Intra-op threads the runtime gives onnxruntime. */
    threads: positiveInt(),
    /** Inference engines in order of preference; the runtime falls back along this list. */
    engines: z.array(z.enum(ENGINE_NAMES)).check(z.minLength(1)),
    /** onnxruntime execution providers in order of preference. */
    executionProviders: z.array(z.enum(['cpu'])).check(z.minLength(1)),
    accelerator: z.strictObject({
      present: z.boolean(),
      usedByRuntime: z.boolean(),
      note: z.string(),
    }),
    quantization: z.strictObject({
      default: z.enum(QUANTIZATIONS),
      allowed: z.array(z.enum(QUANTIZATIONS)).check(z.minLength(1)),
    }),
    libraryEntryBudget: positiveInt(),
    modelSizeBudgetBytes: positiveInt(),
    stepLatencyBudgetUs: z.number().check(z.positive()),
    /**
     * Peak resident memory the device runtime should stay under, MiB (the systemd unit's hard
     * ceiling sits above it). Reported against, never a reason to stop.
     */
    memoryBudgetMiB: z.optional(positiveInt()),
    /** Why each budget is what it is: the measurement and the arithmetic behind the number. */
    budgetReasoning: z.optional(
      z.strictObject({
        stepLatencyBudgetUs: z.string().check(z.minLength(1)),
        memoryBudgetMiB: z.string().check(z.minLength(1)),
        modelSizeBudgetBytes: z.string().check(z.minLength(1)),
      }),
    ),
  })
  .check(
    z.refine((p) => p.threads <= p.cores, { message: 'threads must not exceed cores', path: ['threads'] }),
    z.refine((p) => p.quantization.allowed.includes(p.quantization.default), {
      message: 'quantization.default must be one of quantization.allowed',
      path: ['quantization', 'default'],
    }),
  );

export type FirmwareProfile = z.output<typeof FirmwareProfileSchema>;
