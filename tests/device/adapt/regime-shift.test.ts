import { describe, expect, it } from 'vitest';
import { oscillatorStream } from '../../../cloud/tasks/physics.js';
import { trainHybrid } from '../../../cloud/train/trainer.js';
import { forecastWindows } from '../../../cloud/train/windows.js';
import { TauAdapter, type TauAdaptOptions } from '../../../device/adapt/tau.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import type { HybridModel } from '../../../shared/model/model.js';

// Oscillator x'' + 2ζω·x' + ω²·x = u: ω = π, ζ = 0.05 → ω = 1.6π, ζ = 0.25 at row 1500.
// The model sees (u, x) at row t and forecasts x at row t + 1; it is trained on rows < 1500 only.
const stream = oscillatorStream({ seed: 1, steps: 4000, shiftIndex: 1500 });
const COLS = [0, 1];
const TARGET = 1;
const C = stream.columns.length;

function trainBeforeShift(): HybridModel {
  const pre = new Float64Array(stream.shiftIndex * COLS.length);
  for (let r = 0; r < stream.shiftIndex; r++) {
    for (let k = 0; k < COLS.length; k++) pre[r * COLS.length + k] = stream.series[r * C + COLS[k]!]!;
  }
  const opts = { window: 24, horizon: 1, trainFraction: 0.8, valFraction: 0.2 };
  const data = forecastWindows(pre, COLS.length, COLS.indexOf(TARGET), opts, 'oscillator');
  const init = initModel({
    library: classicLibrary(),
    inputs: COLS.length,
    hidden: 8,
    outputs: 1,
    seed: 3,
    activation: 'tanh',
  });
  const r = trainHybrid({ ...init, residualInput: COLS.indexOf(TARGET) }, data, { seed: 1, epochs: 15 });
  return {
    ...r.model,
    scaling: {
      inputMean: data.inputScaling.mean,
      inputStd: data.inputScaling.std,
      outputMean: [data.targetScaling.mean],
      outputStd: [data.targetScaling.std],
    },
  };
}

/** Stream every row through an adapter; MSE (m²) before (rows 100…shift) and after the shift. */
function streamMse(model: HybridModel, options: Partial<TauAdaptOptions>) {
  const a = new TauAdapter(model, options);
  const x = new Float64Array(COLS.length);
  const y = new Float64Array(1);
  let before = 0;
  let after = 0;
  let nb = 0;
  let na = 0;
  const t0 = performance.now();
  for (let r = 0; r < stream.rows - 1; r++) {
    for (let k = 0; k < COLS.length; k++) x[k] = stream.series[r * C + COLS[k]!]!;
    y[0] = stream.series[(r + 1) * C + TARGET]!;
    const o = a.observe(x, model.dtDefault, y);
    const e = (o.prediction[0]! - y[0]!) ** 2;
    if (r + 1 > stream.shiftIndex) {
      after += e;
      na++;
    } else if (r >= 100) {
      before += e;
      nb++;
    }
  }
  const usPerStep = ((performance.now() - t0) * 1000) / (stream.rows - 1);
  return { before: before / nb, after: after / na, reverts: a.reverts, usPerStep, tau: a.tau };
}

describe('online τ adaptation across a regime shift', () => {
  const model = trainBeforeShift();

  it('forecasts after the shift with a lower error than the frozen model', () => {
    const frozen = streamMse(model, { lr: 0 });
    const adapted = streamMse(model, {});
    console.log(
      `oscillator MSE after shift: frozen ${frozen.after.toExponential(3)}, adapted ${adapted.after.toExponential(3)}` +
        ` (before shift ${frozen.before.toExponential(3)} vs ${adapted.before.toExponential(3)});` +
        ` ${adapted.reverts} guard reverts; ${adapted.usPerStep.toFixed(1)} µs/step (frozen path ${frozen.usPerStep.toFixed(1)})`,
    );
    expect(frozen.reverts).toBe(0);
    expect(adapted.after).toBeLessThanOrEqual(frozen.after);
    expect(adapted.after).toBeLessThan(0.5 * frozen.after);
    for (const t of adapted.tau) {
      expect(t).toBeGreaterThanOrEqual(0.2);
      expect(t).toBeLessThanOrEqual(20);
    }
  });
});
