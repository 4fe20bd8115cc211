/** The streaming evaluator (shared/eval/streaming.ts): one sample at a time, state carried, device clamping. */
import { describe, expect, it } from 'vitest';
import {
  heldOutSplit,
  INPUT_CLAMP_STD,
  persistenceMse,
  streamingErrors,
  streamingMse,
  streamPredictions,
} from '../../../shared/eval/streaming.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import type { HybridModel } from '../../../shared/model/model.js';
import { runSequence } from '../../../shared/model/reference.js';
import { Rng } from '../../../shared/numeric/rng.js';

const model = (): HybridModel => ({
  ...initModel({ library: classicLibrary(), inputs: 1, hidden: 5, outputs: 1, seed: 4, activation: 'tanh' }),
  residualInput: 0,
});

/** The model with a zero readout: its forecast is its (clamped) input, persistence. */
function persistent(): HybridModel {
  const m = model();
  m.params.get('readout.W')!.fill(0);
  m.params.get('readout.b')!.fill(0);
  return m;
}

const series = (n: number) => {
  const rng = new Rng(3);
  return Float64Array.from({ length: n }, (_, t) => Math.sin(t / 5) + 0.1 * rng.normal());
};

describe('streaming evaluator', () => {
  it('carries the state over the whole series, as one sequence from row 0', () => {
    const m = model();
    const values = series(200);
    expect(Array.from(streamPredictions(m, { values, cols: 1, targetCol: 0 }))).toEqual(
      Array.from(runSequence(m, values)),
    );
  });

  it('scores the prediction made after row r − horizon against row r', () => {
    const values = series(300);
    const s = { values, cols: 1, targetCol: 0 };
    for (const h of [1, 3]) {
      expect(streamingMse(persistent(), s, h, 250, 300)).toBeCloseTo(persistenceMse(s, h, 250, 300), 12);
    }
    const e = streamingErrors(model(), s, 2, 250, 300);
    expect(e.length).toBe(50);
    const pred = runSequence(model(), values);
    expect(e[0]).toBeCloseTo((pred[248]! - values[250]!) ** 2, 12);
  });

  it('clamps inputs as the device does: mean ± 10 std of the scaling', () => {
    const m = {
      ...persistent(),
      scaling: { inputMean: [5], inputStd: [2], outputMean: [5], outputStd: [2] },
    };
    const values = Float64Array.of(5, 100, -100, 7);
    const p = streamPredictions(m, { values, cols: 1, targetCol: 0 });
    expect(Array.from(p)).toEqual([5, 5 + INPUT_CLAMP_STD * 2, 5 - INPUT_CLAMP_STD * 2, 7]);
  });

  it('splits chronologically by label row', () => {
    expect(heldOutSplit(240)).toEqual({ rows: 240, valStart: 168, testStart: 204 });
  });
});
