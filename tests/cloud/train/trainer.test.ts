import { describe, expect, it } from 'vitest';
import { evaluateMse, persistenceMse, streamTestErrors } from '../../../cloud/train/evaluate.js';
import { trainForecast } from '../../../cloud/train/forecast.js';
import { trainHybrid } from '../../../cloud/train/trainer.js';
import { forecastData, forecastWindows, type WindowSet } from '../../../cloud/train/windows.js';
import { InputError, NumericError } from '../../../shared/errors.js';
import { meanOf, streamingMse, persistenceMse as streamPersistence } from '../../../shared/eval/streaming.js';
import { readNumericCsv, selectColumns } from '../../../shared/io/csv.js';
import { classicLibrary, makeLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { Rng } from '../../../shared/numeric/rng.js';

const FILE = 'tests/fixtures/nottingham_temp.csv';

function nottingham(window = 12) {
  const t = readNumericCsv(FILE);
  return forecastWindows(selectColumns(t, ['value'], FILE), 1, 0, { window, horizon: 1 }, FILE);
}

describe('forecast windows', () => {
  it('splits chronologically and labels each window with the value H steps later', () => {
    const series = Float64Array.from({ length: 100 }, (_, i) => i);
    const d = forecastWindows(series, 1, 0, { window: 5, horizon: 2 }, 'ramp');
    expect(d.train.n + d.val.n + d.test.n).toBe(100 - 5 - 2 + 1);
    const { mean, std } = d.targetScaling;
    // first training window covers rows 0..4 and is labelled with row 6
    expect(d.train.y[0]! * std + mean).toBeCloseTo(6, 10);
    expect(d.train.last[0]! * std + mean).toBeCloseTo(4, 10);
    // the test windows come after every validation window
    expect(d.test.x[0]! * std + mean).toBeGreaterThan(d.val.x[(d.val.n - 1) * 5]! * std + mean);
  });

  it('refuses a window longer than the series', () => {
    expect(() =>
      forecastWindows(new Float64Array(30), 1, 0, { window: 40, horizon: 1 }, 'short.csv'),
    ).toThrow(/short\.csv: 30 rows leave 0 windows/);
  });

  it('refuses a horizon past the end of the series', () => {
    expect(() =>
      forecastWindows(new Float64Array(30), 1, 0, { window: 5, horizon: 30 }, 'short.csv'),
    ).toThrow(/short\.csv: 30 rows leave 0 windows/);
  });
});

describe('hybrid training', () => {
  const data = nottingham();
  const model = () => initModel({ library: classicLibrary(), inputs: 1, hidden: 6, outputs: 1, seed: 3 });

  it('beats persistence, ends hard, and reproduces from its seed', () => {
    const a = trainHybrid(model(), data, { seed: 5, epochs: 12 });
    const b = trainHybrid(model(), data, { seed: 5, epochs: 12 });
    expect(evaluateMse(a.model, data.test)).toBeLessThan(0.6 * persistenceMse(data.test));
    for (const l of a.model.layers) expect(l.selector.mode).toBe('hard');
    expect(a.hunger.length).toBe(2);
    for (const [k, v] of a.model.params) expect(Array.from(v)).toEqual(Array.from(b.model.params.get(k)!));
    const c = trainHybrid(model(), data, { seed: 6, epochs: 12 });
    expect(Array.from(c.model.params.get('L0.W')!)).not.toEqual(Array.from(a.model.params.get('L0.W')!));
  });

  it('stops with a clear error instead of producing NaN weights', () => {
    expect(() => trainHybrid(model(), data, { seed: 1, epochs: 3, lr: 1e6, clipNorm: 0 })).toThrow(
      NumericError,
    );
  });

  it('returns a model in raw units whose error is reported against persistence', () => {
    const r = trainForecast({
      file: FILE,
      target: 'value',
      window: 12,
      horizon: 1,
      library: classicLibrary(),
      hidden: 6,
      seed: 2,
      train: { epochs: 10 },
    });
    expect(r.testMse).toBeLessThan(r.persistenceMse);
    // raw in, raw out: the model streamed over the raw temperatures, state carried from row 0,
    // gives the reported test MSE (°F²) on the last 15% of rows
    const t = readNumericCsv(FILE);
    const raw = selectColumns(t, ['value'], FILE);
    const { testStart, rows } = r.data.split;
    expect(testStart).toBe(Math.floor(raw.length * 0.85));
    const streamed = streamingMse(r.model, { values: raw, cols: 1, targetCol: 0 }, 1, testStart, rows);
    expect(streamed / r.testMse).toBeCloseTo(1, 9);
    // usage statistics recorded in a new library version
    expect(r.model.library.version).toBe(2);
    expect(r.model.library.entries.reduce((s, e) => s + e.meta.usage.count, 0)).toBe(2);
    expect(() =>
      trainForecast({
        file: FILE,
        target: 'nope',
        window: 12,
        horizon: 1,
        library: classicLibrary(),
        seed: 1,
      }),
    ).toThrow(InputError);
    expect(() =>
      trainForecast({
        file: FILE,
        target: 'value',
        window: 12,
        horizon: 1,
        library: makeLibrary([], 1),
        seed: 1,
      }),
    ).toThrow(/the library has no entries to select from/);
  });
});

describe('irregular sampling', () => {
  it('trains and evaluates with a per-step Δt carried by the windows', () => {
    const d = nottingham();
    const rng = new Rng(9);
    const withDts = (set: WindowSet): WindowSet => ({
      ...set,
      dts: Float64Array.from({ length: set.n * set.window }, () => rng.uniform(0.5, 1.5)),
    });
    const irregular = { train: withDts(d.train), val: withDts(d.val) };
    const model = initModel({
      library: classicLibrary(),
      inputs: 1,
      hidden: 6,
      outputs: 1,
      seed: 3,
      activation: 'tanh',
    });
    const r = trainHybrid(model, irregular, { seed: 5, epochs: 4 });
    const a = evaluateMse(r.model, irregular.val);
    const b = evaluateMse(r.model, d.val); // the same windows at Δt = 1 give other predictions
    expect(Number.isFinite(a)).toBe(true);
    expect(a).not.toBeCloseTo(b, 10);
    // validation during training used the windows' own Δt: the best epoch's loss is the model's
    expect(Math.min(...r.history.map((h) => h.valLoss))).toBeCloseTo(a, 10);
  });
});

describe('stateful training (truncated BPTT over the stream)', () => {
  const d = forecastData(
    selectColumns(readNumericCsv(FILE), ['value'], FILE),
    1,
    0,
    { window: 12, horizon: 1 },
    FILE,
  );
  const tanh = () => ({
    ...initModel({
      library: classicLibrary(),
      inputs: 1,
      hidden: 8,
      outputs: 1,
      seed: 3,
      activation: 'tanh',
    }),
    residualInput: 0,
  });

  it('reproduces from its seed, and beats the windowed trainer on the streaming test tail', () => {
    const a = trainHybrid(tanh(), d, { seed: 4, epochs: 12 });
    const b = trainHybrid(tanh(), d, { seed: 4, epochs: 12 });
    for (const [k, v] of a.model.params) expect(Array.from(v), k).toEqual(Array.from(b.model.params.get(k)!));
    const windowed = trainHybrid(tanh(), { train: d.train, val: d.val }, { seed: 4, epochs: 12 });
    const stateful = meanOf(streamTestErrors(a.model, d.stream));
    // both judged as the device runs them: one sample at a time, state carried from row 0
    expect(stateful).toBeLessThan(0.5 * meanOf(streamTestErrors(windowed.model, d.stream)));
    const { testStart, rows } = d.split;
    expect(stateful).toBeLessThan(0.5 * streamPersistence(d.stream.series, 1, testStart, rows));
  });
});
