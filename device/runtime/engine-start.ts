/**
 * Starting the step graph on an engine: 'auto' walks the profile's engine order (resolveEngine),
 * a named engine is tried alone; the result says which engine runs and why the ones before it
 * did not. Then a short calibration run measures the step latency against the profile's budget.
 */

import { type EngineName, type EngineSession, getEngine } from '../../shared/engines/engine.js';
import { ProfileError } from '../../shared/errors.js';
import type { FirmwareProfile } from '../../shared/types/profile.js';
import { Reservoir } from './stats.js';
import type { StepSession } from './step-session.js';

export const ENGINE_CHOICES = ['native', 'wasm', 'auto'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export interface EngineInfo {
  readonly name: EngineName;
  /** Intra-op threads asked for (the wasm build always runs one). */
  readonly threads: number;
  /** Why engines before this one were not used; empty when the first choice ran. */
  readonly fallbacks: readonly { readonly engine: EngineName; readonly reason: string }[];
}

export interface StartOptions {
  readonly engine: EngineChoice;
  readonly profile: FirmwareProfile;
  /** @defaultValue the profile's threads */
  readonly threads?: number;
}

/** Loads `bytes` on the first engine of the order that starts and loads it. */
export async function startEngine(
  bytes: Uint8Array,
  o: StartOptions,
): Promise<{ session: EngineSession; info: EngineInfo }> {
  const order: readonly EngineName[] = o.engine === 'auto' ? o.profile.engines : [o.engine];
  const threads = o.threads ?? o.profile.threads;
  const fallbacks: { engine: EngineName; reason: string }[] = [];
  for (const name of order) {
    try {
      const engine = await getEngine(name);
      await engine.init();
      const session = await engine.load(bytes, { threads, optimization: 'basic' });
      return { session, info: { name, threads: name === 'wasm' ? 1 : threads, fallbacks } };
    } catch (err) {
      fallbacks.push({ engine: name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  const detail = fallbacks.map((f) => `${f.engine}: ${f.reason}`).join('; ');
  throw new ProfileError(`no engine could run the model (tried ${order.join(', ')}): ${detail}`);
}

export interface LatencyFigures {
  readonly p50: number;
  readonly p99: number;
}

/** Steps the session `steps` times on a fixed input (after a warm-up), then resets its state. */
export async function calibrate(session: StepSession, dt: number, steps = 200): Promise<LatencyFigures> {
  const x = new Float64Array(session.shape.inputs).fill(0.1);
  const r = new Reservoir(steps);
  for (let i = 0; i < 20; i++) await session.step(x, dt);
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await session.step(x, dt);
    r.push((performance.now() - t0) * 1000);
  }
  session.resetState();
  const [p50, p99] = r.percentiles([50, 99]);
  return { p50: p50!, p99: p99! };
}

/** Refuses a model whose calibrated p50 step latency is over the profile's budget. */
export function checkLatencyBudget(l: LatencyFigures, profile: FirmwareProfile, engine: EngineName): void {
  if (l.p50 > profile.stepLatencyBudgetUs) {
    throw new ProfileError(
      `step latency p50 ${l.p50.toFixed(1)} µs on the ${engine} engine is over profile '${profile.name}' stepLatencyBudgetUs ${profile.stepLatencyBudgetUs} (a smaller model, --quant int8, or --no-latency-check to run anyway)`,
    );
  }
}
