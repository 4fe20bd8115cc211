/**
 * From runtime events to telemetry records (shared/types/telemetry.ts), queued in the outbox:
 *
 *   evt/detection  one record per spotted keyword (voice models): {t, word, audioS, confidence,
 *               modelVersion?}, a batch each (at most about one a second)
 *   evt/drift   one record per drift event: {t, step, detector, statistic, threshold, state}
 *               (events of the same moment go out as one batch, within `driftFlushMs`)
 *   tel/perf    one record per performance window: {t, p50Us, p99Us, steps, engine, mse?,
 *               tauMean?, windowMs, outboxDropped, modelVersion?}
 *   tel/hunger  one record per layer after each selection that ran: {t, layer, entropy, hungry,
 *               bestSingle, gap?, reason?, relativeLoss?, bestLoss?, mixtureLoss?, selectionStep,
 *               samples?: {u, φ}} (a hungry layer's wanted shape, finite pairs only, ≤ 4096)
 *
 * JSON has no NaN or infinity, and the cloud validates every record, so values are made finite
 * (or left out) here rather than dropped there with the whole batch.
 */

import type { Detection } from '../../shared/audio/detection.js';
import { mixtureWeights, normalisedEntropy } from '../../shared/model/mixture.js';
import type { HybridModel } from '../../shared/model/model.js';
import {
  type DetectionRecord,
  type DriftRecord,
  type HungerRecord,
  MAX_HUNGER_SAMPLES,
  type PerfRecord,
} from '../../shared/types/telemetry.js';
import type { DriftEvent } from '../drift/types.js';
import type { PerfWindow } from '../runtime/loop.js';
import type { SelectionRecord } from '../runtime/selection.js';
import { carriesMixture, type LayerHungerSignal } from '../select/hunger.js';
import type { Outbox, TelemetryKind } from './outbox.js';

const finiteOr = (v: number, big = Number.MAX_VALUE) =>
  Number.isNaN(v) ? null : v === Infinity ? big : v === -Infinity ? -big : v;

export function driftTelemetry(e: DriftEvent, stepOffset: number, now = Date.now()): DriftRecord | null {
  const statistic = finiteOr(e.statistic);
  const threshold = finiteOr(e.threshold);
  if (statistic === null || threshold === null) return null;
  const state: Record<string, number> = {};
  for (const [k, v] of Object.entries(e.state)) if (Number.isFinite(v)) state[k] = v;
  return { t: now, step: stepOffset + e.step, detector: e.detector, statistic, threshold, state };
}

/** A spotted keyword as an `evt/detection` record; null when a value is not finite. */
export function detectionTelemetry(
  d: Detection,
  modelVersion: string | null,
  now = Date.now(),
): DetectionRecord | null {
  if (!Number.isFinite(d.t) || !Number.isFinite(d.confidence)) return null;
  return {
    t: now,
    word: d.word.slice(0, 64),
    audioS: Math.max(0, d.t),
    confidence: Math.min(1, Math.max(0, d.confidence)),
    ...(modelVersion ? { modelVersion } : {}),
  };
}

export function perfTelemetry(
  w: PerfWindow,
  extra: {
    engine: string;
    outboxDropped: number;
    modelVersion: string | null;
    /** The profile's step latency budget, µs. */
    budgetUs?: number;
    engineFallbacks?: readonly { engine: string; reason: string }[];
  },
  now = Date.now(),
): PerfRecord | null {
  if (!Number.isFinite(w.p50Us) || !Number.isFinite(w.p99Us)) return null;
  return {
    t: now,
    p50Us: Math.max(0, w.p50Us),
    p99Us: Math.max(0, w.p99Us),
    steps: w.steps,
    engine: extra.engine,
    ...(extra.budgetUs ? { budgetUs: extra.budgetUs, overBudget: w.p50Us > extra.budgetUs } : {}),
    ...(extra.engineFallbacks?.length
      ? {
          engineFallbacks: extra.engineFallbacks.map((f) => ({
            engine: f.engine,
            reason: f.reason.slice(0, 300),
          })),
        }
      : {}),
    ...(w.mse !== null && Number.isFinite(w.mse) ? { mse: w.mse } : {}),
    ...(w.tauMean !== null && w.tauMean > 0 && Number.isFinite(w.tauMean) ? { tauMean: w.tauMean } : {}),
    windowMs: Math.round(w.durationMs),
    outboxDropped: extra.outboxDropped,
    ...(extra.modelVersion ? { modelVersion: extra.modelVersion } : {}),
  };
}

/**
 * Normalised entropy of layer i's trained mixture (1 = undecided), over the candidates with any
 * weight; 0 for a layer whose logits carry no mixture (cloud/train/hunger.ts defines the signal).
 */
export function layerEntropy(model: HybridModel, i: number): number {
  return carriesMixture(model, i) ? normalisedEntropy(mixtureWeights(model, i)) : 0;
}

export function hungerTelemetry(
  record: SelectionRecord,
  signals: readonly LayerHungerSignal[],
  searched: HybridModel,
  now = Date.now(),
): HungerRecord[] {
  if (record.skipped) return [];
  return record.layers.map((l) => {
    const s = signals.find((x) => x.layer === l.layer);
    const gap =
      s?.mixtureLoss !== undefined && s.mixtureLoss > 0
        ? (s.bestLoss - s.mixtureLoss) / s.mixtureLoss
        : undefined;
    const out: HungerRecord = {
      t: now,
      layer: l.layer,
      entropy: layerEntropy(searched, l.layer),
      hungry: s !== undefined,
      bestSingle: l.after.slice(0, 128),
      selectionStep: record.step,
    };
    if (gap !== undefined && Number.isFinite(gap)) out.gap = gap;
    if (s) {
      out['reason'] = s.reason;
      if (Number.isFinite(s.relativeLoss)) out['relativeLoss'] = s.relativeLoss;
      if (Number.isFinite(s.bestLoss)) out['bestLoss'] = s.bestLoss;
      if (s.mixtureLoss !== undefined && Number.isFinite(s.mixtureLoss)) out['mixtureLoss'] = s.mixtureLoss;
      const samples = s.samples ? samplePairs(s.samples.u, s.samples.phi) : null;
      if (samples) out.samples = samples;
    }
    return out;
  });
}

/** Finite (u, φ) pairs, at most MAX_HUNGER_SAMPLES; null when none is left. */
export function samplePairs(
  u: ArrayLike<number>,
  phi: ArrayLike<number>,
): { u: number[]; phi: number[] } | null {
  const out = { u: [] as number[], phi: [] as number[] };
  const n = Math.min(u.length, phi.length);
  for (let i = 0; i < n && out.u.length < MAX_HUNGER_SAMPLES; i++) {
    if (!Number.isFinite(u[i]) || !Number.isFinite(phi[i])) continue;
    out.u.push(u[i]!);
    out.phi.push(phi[i]!);
  }
  return out.u.length > 0 ? out : null;
}

export interface TelemetryQueueOptions {
  /** Called after a batch is queued (to start sending). */
  readonly onQueued: () => void;
  /** Wait for more drift events of the same moment before queuing them, ms. @defaultValue 250 */
  readonly driftFlushMs?: number;
  readonly log: (line: string) => void;
}

/** Puts records into the outbox as batches; drift events are gathered briefly first. */
export class TelemetryQueue {
  private drift: DriftRecord[] = [];
  private driftTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly outbox: Outbox,
    private readonly o: TelemetryQueueOptions,
  ) {}

  add(kind: TelemetryKind, records: readonly unknown[]): void {
    if (records.length === 0) return;
    try {
      this.outbox.add(kind, records);
      this.o.onQueued();
    } catch (err) {
      // a full disk or an oversized batch costs this batch, never the run
      this.o.log(`${kind} batch of ${records.length} records not queued: ${(err as Error).message}`);
    }
  }

  addDrift(record: DriftRecord): void {
    this.drift.push(record);
    if (this.drift.length >= 100) {
      this.flushDrift();
      return;
    }
    this.driftTimer ??= setTimeout(() => this.flushDrift(), this.o.driftFlushMs ?? 250);
  }

  flushDrift(): void {
    if (this.driftTimer) clearTimeout(this.driftTimer);
    this.driftTimer = null;
    const batch = this.drift;
    this.drift = [];
    this.add('evt/drift', batch);
  }
}
