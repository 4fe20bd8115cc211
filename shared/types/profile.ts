/**
 * Firmware profile: what one class of board can run. One JSON file per board class in
 * firmware-profiles/, validated by this schema on both sides (the cloud exports for it, the
 * device runtime enforces its budgets).
 */
import { z } from 'zod';

export const QUANTIZATIONS = ['fp32', 'fp16', 'int8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

export const ENGINE_NAMES = ['native', 'wasm', 'js'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export const FirmwareProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/),
    description: z.string(),
    board: z.string(),
    /** CPU architectures the board runs; onnxruntime-node has no 32-bit ARM build. */
    arch: z.array(z.enum(['arm64', 'armv7', 'x64'])).min(1),
    cores: z.number().int().positive(),
    memoryMB: z.number().int().positive(),
    /** Intra-op threads the runtime gives onnxruntime. */
    threads: z.number().int().positive(),
    /** Inference engines in order of preference; the runtime falls back along this list. */
    engines: z.array(z.enum(ENGINE_NAMES)).min(1),
    /** onnxruntime execution providers in order of preference. */
    executionProviders: z.array(z.enum(['cpu'])).min(1),
    accelerator: z
      .object({
        present: z.boolean(),
        usedByRuntime: z.boolean(),
        note: z.string(),
      })
      .strict(),
    quantization: z
      .object({
        default: z.enum(QUANTIZATIONS),
        allowed: z.array(z.enum(QUANTIZATIONS)).min(1),
      })
      .strict(),
    libraryEntryBudget: z.number().int().positive(),
    modelSizeBudgetBytes: z.number().int().positive(),
    stepLatencyBudgetUs: z.number().positive(),
    /**
     * Peak resident memory the device runtime should stay under, MiB (the systemd unit's hard
     * ceiling sits above it). Reported against, never a reason to stop.
     */
    memoryBudgetMiB: z.number().int().positive().optional(),
    /** Why each budget is what it is: the measurement and the arithmetic behind the number. */
    budgetReasoning: z
      .object({
        stepLatencyBudgetUs: z.string().min(1),
        memoryBudgetMiB: z.string().min(1),
        modelSizeBudgetBytes: z.string().min(1),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((p) => p.threads <= p.cores, { message: 'threads must not exceed cores', path: ['threads'] })
  .refine((p) => p.quantization.allowed.includes(p.quantization.default), {
    message: 'quantization.default must be one of quantization.allowed',
    path: ['quantization', 'default'],
  });

export type FirmwareProfile = z.output<typeof FirmwareProfileSchema>;
