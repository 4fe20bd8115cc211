/**
 * Telemetry records as the device makes them pass the cloud's schemas: JSON has no NaN or
 * infinity, so values are made finite or left out rather than costing the cloud a whole batch.
 */
import { describe, expect, it } from 'vitest';
import type { SelectionRecord } from '../../../device/runtime/selection.js';
import {
  driftTelemetry,
  hungerTelemetry,
  layerEntropy,
  perfTelemetry,
} from '../../../device/sync/telemetry.js';
import { DriftRecordSchema, HungerRecordSchema, PerfRecordSchema } from '../../../shared/types/telemetry.js';
import { perturbLogits, tinyModel } from '../../helpers/models.js';

const viaJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('telemetry records', () => {
  it('makes drift records finite, with the step counted across runs', () => {
    const r = driftTelemetry(
      {
        step: 5,
        detector: 'adwin',
        statistic: Infinity,
        threshold: 2,
        state: { width: 10, mean: Number.NaN },
      },
      100,
      1,
    )!;
    expect(r).toEqual({
      t: 1,
      step: 105,
      detector: 'adwin',
      statistic: Number.MAX_VALUE,
      threshold: 2,
      state: { width: 10 },
    });
    expect(DriftRecordSchema.safeParse(viaJson(r)).success).toBe(true);
    expect(
      driftTelemetry({ step: 1, detector: 'ph', statistic: Number.NaN, threshold: 1, state: {} }, 0),
    ).toBeNull();
  });

  it('leaves out a window error or τ it does not have', () => {
    const extra = { engine: 'native', outboxDropped: 3, modelVersion: null };
    const r = perfTelemetry(
      { p50Us: 4, p99Us: 9, steps: 10, mse: null, tauMean: null, durationMs: 1000.4 },
      extra,
      2,
    )!;
    expect(r).toEqual({
      t: 2,
      p50Us: 4,
      p99Us: 9,
      steps: 10,
      engine: 'native',
      windowMs: 1000,
      outboxDropped: 3,
    });
    expect(PerfRecordSchema.safeParse(viaJson(r)).success).toBe(true);
    expect(
      perfTelemetry({ p50Us: Number.NaN, p99Us: 1, steps: 1, mse: 1, tauMean: 1, durationMs: 1 }, extra),
    ).toBeNull();
  });

  it('carries the latency budget, a miss against it and the engine fallbacks', () => {
    const extra = {
      engine: 'js',
      outboxDropped: 0,
      modelVersion: null,
      budgetUs: 150,
      engineFallbacks: [{ engine: 'native', reason: 'the probe process was killed by SIGABRT' }],
    };
    const window = { steps: 10, mse: null, tauMean: null, durationMs: 1000 };
    const over = perfTelemetry({ ...window, p50Us: 154.6, p99Us: 282 }, extra, 2)!;
    expect(over).toMatchObject({ budgetUs: 150, overBudget: true, engineFallbacks: extra.engineFallbacks });
    expect(PerfRecordSchema.safeParse(viaJson(over)).success).toBe(true);
    expect(perfTelemetry({ ...window, p50Us: 20, p99Us: 40 }, extra, 2)).toMatchObject({ overBudget: false });
  });

  it('reports one hunger record per layer, with the mixture gap when known', () => {
    const model = tinyModel({ liquidLayers: 2 });
    perturbLogits(model, 3);
    const record: SelectionRecord = {
      step: 40,
      ms: 12,
      rebuild_ms: 0,
      installed: false,
      layers: model.layers.map((_, layer) => ({
        layer,
        before: 'mixture',
        after: 'tanh',
        loss_before: 1,
        loss_after: 1,
      })),
    };
    const hunger = hungerTelemetry(
      record,
      [{ layer: 1, bestLoss: 2, mixtureLoss: 1, relativeLoss: 0.5, reason: 'best entry tanh is 100% worse' }],
      model,
      3,
    );
    expect(hunger).toHaveLength(model.layers.length);
    expect(hunger[0]).toEqual({
      t: 3,
      layer: 0,
      entropy: layerEntropy(model, 0),
      hungry: false,
      bestSingle: 'tanh',
      selectionStep: 40,
    });
    expect(hunger[1]).toMatchObject({
      layer: 1,
      hungry: true,
      gap: 1,
      reason: 'best entry tanh is 100% worse',
    });
    expect(hunger[0]!.entropy).toBeGreaterThan(0);
    expect(hunger[0]!.entropy).toBeLessThanOrEqual(1);
    for (const h of hunger) expect(HungerRecordSchema.safeParse(viaJson(h)).success).toBe(true);
    expect(hungerTelemetry({ ...record, skipped: 'too few labelled rows' }, [], model)).toEqual([]);
    expect(layerEntropy(tinyModel({ activation: 'tanh' }), 0)).toBe(0);
  });
});
