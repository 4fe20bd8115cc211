/**
 * Starting the step graph on an engine.
 *
 * 'auto' takes the profile's engine order: the compiled engine ('js') when the order names it and
 * the graph compiles, and the first onnxruntime engine of the order that starts (the native addon
 * is probed in a child process first, see shared/engines/native-probe.ts). The compiled engine
 * serves only after its self-check (self-check.ts) agrees with onnxruntime, when one is loaded, and
 * with the TypeScript reference; a disagreement refuses it with the largest difference and where.
 * Among the engines that pass, a startup micro-benchmark picks the fastest. A named engine is
 * tried alone. The result says which engine runs, the figures of every candidate, and why the
 * others were not used.
 *
 * Budgets never strand a board: a calibration over the profile's step latency budget is measured
 * again; a miss that persists is reported (summary, telemetry, dashboard) and the device runs.
 * Only a repeated wide miss on a quiet calibration, a model that can never meet the budget, is
 * refused.
 */

import { type EngineName, type EngineSession, getEngine } from '../../shared/engines/engine.js';
import { ProfileError } from '../../shared/errors.js';
import type { FirmwareProfile } from '../../shared/types/profile.js';
import type { LoadedModel } from './bundle.js';
import { type SelfCheck, selfCheck } from './self-check.js';
import { Reservoir } from './stats.js';
import { StepSession } from './step-session.js';

export const ENGINE_CHOICES = ['native', 'wasm', 'js', 'auto'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/** One engine considered at start. */
export interface EngineCandidate {
  readonly engine: EngineName;
  /** chosen: runs; passed: ran slower; refused: failed its self-check; unavailable: did not start. */
  readonly status: 'chosen' | 'passed' | 'refused' | 'unavailable';
  /** Micro-benchmark figures, µs per step. */
  readonly p50Us?: number;
  readonly p99Us?: number;
  readonly reason?: string;
}

export interface EngineInfo {
  readonly name: EngineName;
  /** Intra-op threads asked for (the wasm build and the compiled engine run one). */
  readonly threads: number;
  /** Why engines of the order were not used; empty when the first choice ran. */
  readonly fallbacks: readonly { readonly engine: EngineName; readonly reason: string }[];
  /** Every engine considered, with its figures (present since the compiled engine). */
  readonly candidates?: readonly EngineCandidate[];
  /** The compiled engine's self-checks, when it was a candidate. */
  readonly selfCheck?: readonly SelfCheck[];
}

export interface StartOptions {
  readonly engine: EngineChoice;
  readonly profile: FirmwareProfile;
  /** @defaultValue the profile's threads */
  readonly threads?: number;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One refusal line: which reference disagreed, by how much, where. */
export function describeMismatch(c: SelfCheck): string {
  return `compiled engine refused: differs from the ${c.reference} reference by ${c.maxAbsDiff.toExponential(2)} (tolerance ${c.tolerance.toExponential(2)}) at ${c.where} over ${c.steps} parity steps`;
}

/** Starts an onnxruntime engine of `order`, in order; failures are pushed onto `fallbacks`. */
async function startOrt(
  order: readonly EngineName[],
  bytes: Uint8Array,
  threads: number,
  fallbacks: { engine: EngineName; reason: string }[],
): Promise<EngineSession | null> {
  for (const name of order) {
    if (name === 'js') continue;
    try {
      const engine = await getEngine(name);
      await engine.init();
      return await engine.load(bytes, { threads, optimization: 'basic' });
    } catch (err) {
      fallbacks.push({ engine: name, reason: message(err) });
    }
  }
  return null;
}

/**
 * Starts the model's step graph. Resolves with the chosen session; rejects with ProfileError when
 * no engine can run it (a named 'js' engine that fails its self-check is refused this way).
 */
export async function startEngine(
  loaded: LoadedModel,
  o: StartOptions,
): Promise<{ session: EngineSession; info: EngineInfo }> {
  const bytes = loaded.stepBytes;
  const order: readonly EngineName[] = o.engine === 'auto' ? o.profile.engines : [o.engine];
  const threads = o.threads ?? o.profile.threads;
  const fallbacks: { engine: EngineName; reason: string }[] = [];
  const candidates: EngineCandidate[] = [];
  const ort = await startOrt(order, bytes, threads, fallbacks);
  for (const f of fallbacks) candidates.push({ engine: f.engine, status: 'unavailable', reason: f.reason });

  let compiled: EngineSession | null = null;
  let checks: SelfCheck[] | undefined;
  if (order.includes('js')) {
    try {
      compiled = await (await getEngine('js')).load(bytes);
      checks = await selfCheck(compiled, loaded, ort);
      if (!checks[0]!.passed) {
        const reason = describeMismatch(checks[0]!);
        await compiled.release();
        compiled = null;
        fallbacks.push({ engine: 'js', reason });
        candidates.push({ engine: 'js', status: 'refused', reason });
      }
    } catch (err) {
      compiled = null;
      fallbacks.push({ engine: 'js', reason: message(err) });
      candidates.push({ engine: 'js', status: 'unavailable', reason: message(err) });
    }
  }

  const passing = [compiled, ort].filter((s): s is EngineSession => s !== null);
  if (passing.length === 0) {
    const detail = fallbacks.map((f) => `${f.engine}: ${f.reason}`).join('; ');
    throw new ProfileError(`no engine could run the model (tried ${order.join(', ')}): ${detail}`);
  }
  let chosen = passing[0]!;
  const figures = new Map<EngineSession, LatencyFigures>();
  if (passing.length > 1) {
    for (const s of passing) figures.set(s, await benchmarkSession(s, loaded));
    chosen = passing.reduce((a, b) => (figures.get(b)!.p50 < figures.get(a)!.p50 ? b : a));
  }
  for (const s of passing) {
    const f = figures.get(s);
    candidates.push({
      engine: s.engine,
      status: s === chosen ? 'chosen' : 'passed',
      ...(f ? { p50Us: f.p50, p99Us: f.p99 } : {}),
    });
    if (s !== chosen) await s.release();
  }
  // engines of the order before the chosen one that did not run, and why
  const before = order.slice(0, Math.max(0, order.indexOf(chosen.engine)));
  const used = fallbacks.filter((f) => before.includes(f.engine));
  for (const s of passing) {
    if (s !== chosen && before.includes(s.engine)) {
      const f = figures.get(s)!;
      const c = figures.get(chosen)!;
      used.push({
        engine: s.engine,
        reason: `slower at startup (p50 ${f.p50.toFixed(1)} µs against ${chosen.engine} ${c.p50.toFixed(1)} µs)`,
      });
    }
  }
  const info: EngineInfo = {
    name: chosen.engine,
    threads: chosen.engine === 'native' ? threads : 1,
    fallbacks: used,
    candidates,
    ...(checks ? { selfCheck: checks } : {}),
  };
  return { session: chosen, info };
}

export interface LatencyFigures {
  readonly p50: number;
  readonly p99: number;
}

/** The startup micro-benchmark: a calibration on a throw-away StepSession over `session`. */
async function benchmarkSession(session: EngineSession, loaded: LoadedModel): Promise<LatencyFigures> {
  const probe = new StepSession(session, loaded.manifest.model, loaded.manifest.tau.default);
  return calibrate(probe, loaded.model.dtDefault, 300);
}

/** Steps the session `steps` times on a fixed input (after a warm-up), then resets its state. */
export async function calibrate(session: StepSession, dt: number, steps = 200): Promise<LatencyFigures> {
  const x = new Float64Array(session.shape.inputs).fill(0.1);
  const r = new Reservoir(steps);
  for (let i = 0; i < 50; i++) await session.step(x, dt);
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await session.step(x, dt);
    r.push((performance.now() - t0) * 1000);
  }
  session.resetState();
  const [p50, p99] = r.percentiles([50, 99]);
  return { p50: p50!, p99: p99! };
}

/** The profile's step latency budget against what was measured. */
export interface BudgetReport {
  readonly stepLatencyBudgetUs: number;
  /** The calibration the decision used (the best of up to CALIBRATION_ATTEMPTS). */
  readonly calibration: LatencyFigures;
  readonly calibrations: number;
  /** 'within': the best calibration met the budget; 'over': it missed and the device runs anyway. */
  readonly status: 'within' | 'over';
  /** The run's own p50 against the budget, filled in at the end of a run. */
  readonly run?: { readonly p50: number; readonly p99: number; readonly status: 'within' | 'over' };
}

/** A miss this many times the budget, on a quiet calibration, every time, is refused. */
export const WIDE_MISS_FACTOR = 3;
/** A calibration is quiet when its p99 is within this factor of its p50 (no scheduler noise). */
export const QUIET_TAIL_FACTOR = 2;
export const CALIBRATION_ATTEMPTS = 3;

/**
 * Calibrates against the profile's budget: measured again while over it (a busy machine is
 * transient); refused (ProfileError) only when every attempt misses by WIDE_MISS_FACTOR on a quiet
 * calibration and `refuse` is on.
 */
export async function checkLatencyBudget(
  session: StepSession,
  dt: number,
  profile: FirmwareProfile,
  engine: EngineName,
  o: { refuse: boolean; calibrate?: typeof calibrate } = { refuse: true },
): Promise<BudgetReport> {
  const measure = o.calibrate ?? calibrate;
  const budget = profile.stepLatencyBudgetUs;
  const runs: LatencyFigures[] = [];
  for (let i = 0; i < CALIBRATION_ATTEMPTS; i++) {
    runs.push(await measure(session, dt));
    if (runs[i]!.p50 <= budget) break;
  }
  const best = runs.reduce((a, b) => (b.p50 < a.p50 ? b : a));
  const status = best.p50 <= budget ? 'within' : 'over';
  const hopeless =
    runs.length === CALIBRATION_ATTEMPTS &&
    runs.every((r) => r.p50 > WIDE_MISS_FACTOR * budget && r.p99 <= QUIET_TAIL_FACTOR * r.p50);
  if (o.refuse && hopeless) {
    throw new ProfileError(
      `step latency p50 ${best.p50.toFixed(1)} µs on the ${engine} engine is over ${WIDE_MISS_FACTOR}x profile '${profile.name}' stepLatencyBudgetUs ${budget} in ${runs.length} quiet calibrations (p99 ${best.p99.toFixed(1)} µs): this model cannot meet the budget on this board (a smaller model, --quant int8, another --engine, or --no-latency-check to run anyway)`,
    );
  }
  return { stepLatencyBudgetUs: budget, calibration: best, calibrations: runs.length, status };
}

/** The budget report with the run's own figures added. */
export function withRunLatency(b: BudgetReport, run: LatencyFigures): BudgetReport {
  return {
    ...b,
    run: { p50: run.p50, p99: run.p99, status: run.p50 <= b.stepLatencyBudgetUs ? 'within' : 'over' },
  };
}
