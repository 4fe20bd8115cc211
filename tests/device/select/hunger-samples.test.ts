/**
 * A hungry layer's samples: the pre-activations u it saw on held-out rows and the cloud's
 * mixture φ(u) there, in the units a discovery job takes (cloud/train/hunger.ts), carried into
 * the tel/hunger record.
 */
import { describe, expect, it } from 'vitest';
import { SampleBuffer } from '../../../device/select/buffer.js';
import { selectOnDevice } from '../../../device/select/select.js';
import { hungerTelemetry, samplePairs } from '../../../device/sync/telemetry.js';
import { driveInputs, teacherBuffer } from '../../../scripts/bench-select.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { mixtureCurve } from '../../../shared/model/mixture.js';
import type { HybridModel } from '../../../shared/model/model.js';
import { ReferenceRunner } from '../../../shared/model/reference.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { HungerRecordSchema } from '../../../shared/types/telemetry.js';

/** A liquid hybrid whose layer 0 is an even tanh + sin blend (soft), τ ≤ 3. */
function blended(): HybridModel {
  const soft = initModel({ library: classicLibrary(), inputs: 3, hidden: 8, outputs: 2, seed: 7, tauMax: 3 });
  soft.params.get('L0.logits')!.set([0, 0, 0, 3, 0, 0, 0, 3, 0, 0]);
  return soft;
}

/** Layer 0's pre-activations over the whole input, run as one sequence from a zero state. */
function layer0Pre(model: HybridModel, x: Float64Array): Float64Array {
  const runner = new ReferenceRunner(model, 1);
  const units = model.layers[0]!.units;
  const rows = x.length / model.inputs;
  const out = new Float64Array(rows * units);
  const y = new Float64Array(model.outputs);
  for (let r = 0; r < rows; r++) {
    runner.step(x.subarray(r * model.inputs, (r + 1) * model.inputs), model.dtDefault, y);
    out.set(runner.layerPreActivation(0), r * units);
  }
  return out;
}

describe('hunger samples', () => {
  const soft = blended();
  const x = driveInputs(2, 1200, 3);
  const buffer = teacherBuffer(soft, x);
  const { report } = selectOnDevice(soft, buffer, { budgetMs: Infinity });
  const h = report.hunger.find((s) => s.layer === 0)!;

  it('carries the held-out pre-activations and the mixture at them', () => {
    expect(h.reason).toMatch(/worse than the cloud's mixture/);
    const s = h.samples!;
    expect(s.u.length).toBeGreaterThan(100);
    expect(s.u.length).toBeLessThanOrEqual(512);
    expect(s.phi.length).toBe(s.u.length);
    // φ is the cloud's own mixture curve at u
    expect(Array.from(s.phi)).toEqual(Array.from(mixtureCurve(soft, 0, s.u)));
    // every u is one of layer 0's pre-activations on the held-out part (the newest quarter)
    const units = soft.layers[0]!.units;
    const pre = layer0Pre(soft, x);
    const heldFrom = (1200 - Math.round(1200 * 0.25)) * units;
    const held = Array.from(pre.subarray(heldFrom)).sort((a, b) => a - b);
    const nearest = (v: number) => {
      let lo = 0;
      let hi = held.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (held[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      return Math.min(Math.abs(held[lo]! - v), lo > 0 ? Math.abs(held[lo - 1]! - v) : Infinity);
    };
    for (const v of s.u) expect(nearest(v)).toBeLessThan(1e-9);
    // spread over the range the layer saw, not one corner of it
    const spread = (a: ArrayLike<number>) => Math.max(...Array.from(a)) - Math.min(...Array.from(a));
    expect(spread(s.u)).toBeGreaterThan(0.5 * spread(held));
  });

  it('is deterministic and bounded by hungerSamples', () => {
    const again = selectOnDevice(soft, buffer, { budgetMs: Infinity }).report.hunger[0]!.samples!;
    expect(Array.from(again.u)).toEqual(Array.from(h.samples!.u));
    const few = selectOnDevice(soft, buffer, { budgetMs: Infinity, hungerSamples: 40 }).report.hunger[0]!;
    expect(few.samples!.u.length).toBeLessThanOrEqual(40);
    expect(few.samples!.u.length).toBeGreaterThan(20);
  });

  it('goes into the tel/hunger record as {u, phi}, valid for the cloud', () => {
    const record = {
      step: 1200,
      ms: report.ms,
      rebuild_ms: 0,
      installed: report.installed,
      layers: report.layers.map((l) => ({
        layer: l.layer,
        before: l.before,
        after: l.after,
        loss_before: l.lossBefore,
        loss_after: l.lossAfter,
      })),
    };
    const records = hungerTelemetry(record, report.hunger, soft, 1);
    const r0 = HungerRecordSchema.parse(records.find((r) => r.layer === 0));
    expect(r0.hungry).toBe(true);
    expect(r0.samples!.u).toEqual(Array.from(h.samples!.u));
    expect(r0.samples!.phi).toEqual(Array.from(h.samples!.phi));
    // JSON keeps every value
    expect(JSON.parse(JSON.stringify(r0)).samples.u.length).toBe(h.samples!.u.length);
  });

  it('drops non-finite pairs and caps at the schema limit', () => {
    expect(samplePairs([1, Number.NaN, 3], [4, 5, Infinity])).toEqual({ u: [1], phi: [4] });
    expect(samplePairs([Number.NaN], [1])).toBeNull();
    const big = samplePairs(new Float64Array(5000).fill(1), new Float64Array(5000));
    expect(big!.u.length).toBe(4096);
  });

  it('a layer without a trained mixture reports hunger without samples', () => {
    const model = initModel({
      library: classicLibrary(),
      inputs: 1,
      hidden: 1,
      outputs: 1,
      seed: 1,
      liquidLayers: 0,
      activation: 'tanh',
    });
    const rng = new Rng(8);
    const b = new SampleBuffer(800, 1, 1);
    for (let t = 0; t < 800; t++) {
      const v = rng.uniform(-4, 4);
      b.push(Float64Array.of(v), Float64Array.of(Math.cos(3 * v) * Math.exp(-0.3 * v * v)), 1);
    }
    const r = selectOnDevice(model, b, { budgetMs: Infinity }).report;
    expect(r.hunger.length).toBe(1);
    expect(r.hunger[0]!.samples).toBeUndefined();
  });
});
