/**
 * A hunger job (written by training when a layer wanted a shape its library lacks) as a
 * discovery task: learn the mixture's curve φ(u) over the layer's pre-activations u with a
 * one-edge KAN, so the shape becomes a library entry.
 */
import { z } from 'zod';
import { InputError } from '../../shared/errors.js';
import { readJsonWithSchema } from '../../shared/io/json-file.js';
import { JOB_FORMAT } from '../train/hunger.js';
import type { DiscoveryTask } from './tasks.js';

const JobSchema = z
  .object({
    format: z.literal(JOB_FORMAT),
    formatVersion: z.literal(1),
    task: z.string(),
    layer: z.number().int().nonnegative(),
    seed: z.number().int(),
    library: z.object({ version: z.number().int(), hash: z.string() }).strict(),
    reason: z.object({ entropy: z.number(), gap: z.number(), bestSingle: z.string() }).strict(),
    samples: z
      .object({ u: z.array(z.number().finite()).min(10), phi: z.array(z.number().finite()).min(10) })
      .strict()
      .refine((s) => s.u.length === s.phi.length, {
        message: 'u and phi must have the same length',
        path: ['phi'],
      }),
  })
  .strict();

export function jobTask(file: string): DiscoveryTask {
  const job = readJsonWithSchema(JobSchema, file);
  const u = job.samples.u;
  const lo = Math.min(...u);
  const hi = Math.max(...u);
  if (!(hi > lo)) throw new InputError(`${file}: the job's pre-activation samples are all equal (${lo})`);
  // raw pre-activations (the KAN's grid adapts to their range), so the entry's natural affine
  // maps the layer's own u onto the canonical domain and the layer can use it as it is
  const x = Float64Array.from(u);
  const y = Float64Array.from(job.samples.phi);
  return {
    name: `${job.task}-L${job.layer}`,
    description: `the shape layer ${job.layer} of a model trained on ${job.task} was missing`,
    inputNames: ['u'],
    targetName: 'phi',
    width: [1, 1],
    rows: { x, y, batch: x.length },
    sample(rng, n) {
      const order = Array.from({ length: x.length }, (_, i) => i);
      rng.shuffle(order);
      const m = Math.min(n, x.length);
      return {
        x: Float64Array.from(order.slice(0, m), (i) => x[i]!),
        y: Float64Array.from(order.slice(0, m), (i) => y[i]!),
        batch: m,
      };
    },
  };
}
