/** The race of hard configurations that ends a hybrid's training (cloud/train/race.ts). */
import { describe, expect, it } from 'vitest';
import { streamValidationErrors } from '../../../cloud/train/evaluate.js';
import { pairedZ, plannedRaceEpochs, race, rungs, sharedCandidates } from '../../../cloud/train/race.js';
import { TRAIN_DEFAULTS, trainHybrid } from '../../../cloud/train/trainer.js';
import { forecastData, forecastWindows } from '../../../cloud/train/windows.js';
import { buildEntry } from '../../../shared/activations/index.js';
import { readNumericCsv, selectColumns } from '../../../shared/io/csv.js';
import { classicLibrary, makeLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';

const FILE = 'tests/fixtures/nottingham_temp.csv';
const data = forecastData(
  selectColumns(readNumericCsv(FILE), ['value'], FILE),
  1,
  0,
  { window: 12, horizon: 1 },
  FILE,
);
const library = classicLibrary();
const make = (activation?: string) =>
  initModel({ library, inputs: 1, hidden: 6, outputs: 1, seed: 3, ...(activation ? { activation } : {}) });

describe('race schedule', () => {
  it('halves the field at epochs/8, /4 and /2', () => {
    expect(rungs(40)).toEqual([5, 10, 20, 40]);
    expect(rungs(3)).toEqual([1, 2, 3]);
    // 12 × 5 + 6 × 5 + 3 × 10 + 2 × 20
    expect(plannedRaceEpochs(12, 40)).toBe(160);
    expect(plannedRaceEpochs(1, 40)).toBe(40);
  });

  it('counts overlapping windows as fewer observations when judging a challenger', () => {
    const independent = Float64Array.from({ length: 40 }, (_, j) => 1 + (j % 2 ? 1 : -1));
    expect(pairedZ(independent)).toBeCloseTo(Math.sqrt(40) / Math.sqrt(40 / 39), 6);
    // the same differences in runs of four (as neighbouring windows give): a smaller z
    const runsOfFour = Float64Array.from({ length: 40 }, (_, j) => 1 + (Math.floor(j / 4) % 2 ? 1 : -1));
    expect(pairedZ(runsOfFour)).toBeLessThan(0.6 * pairedZ(independent));
    expect(pairedZ(Float64Array.from([-1, -2, -1.5]))).toBeLessThan(0);
  });

  it('races every library entry when all soft layers share the candidates', () => {
    expect(sharedCandidates(make(), [0, 1])).toEqual(library.entries.map((_, k) => k));
  });
});

describe('race', () => {
  it('trains a configuration paused between rungs exactly as the fixed model trains alone', () => {
    const tanh = library.entries.findIndex((e) => e.name === 'tanh');
    const o = { ...TRAIN_DEFAULTS, seed: 4, epochs: 8 };
    const raced = race(make(), [{ label: 'tanh', layers: [0, 1], choice: [tanh, tanh] }], data, o, () => {});
    const alone = trainHybrid(make('tanh'), data, { seed: 4, epochs: 8 });
    expect(raced.valLoss).toBe(alone.bestValLoss);
    for (const [k, v] of alone.model.params)
      expect(Array.from(raced.model.params.get(k)!), k).toEqual(Array.from(v));
  });

  it('ships the best contestant only when it beats the tanh incumbent by more than noise', () => {
    const r = trainHybrid(make(), data, { seed: 5, epochs: 8 });
    const { standings } = r;
    expect(standings.length).toBeGreaterThanOrEqual(library.entries.length);
    expect(standings.some((s) => s.label.startsWith('search:'))).toBe(true);
    for (let i = 1; i < standings.length; i++)
      expect(standings[i]!.valLoss).toBeGreaterThanOrEqual(standings[i - 1]!.valLoss);
    // judged by the streaming evaluator: the state carried from the first row, validation rows scored
    const errors = streamValidationErrors(r.model, data.stream);
    expect(errors.length).toBe(data.split.testStart - data.split.valStart);
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeCloseTo(r.bestValLoss, 12);
    // the first rung cut the field; the incumbent was never cut
    expect(Math.min(...standings.map((s) => s.epochs))).toBe(1);
    expect(standings.find((s) => s.label === 'uniform:tanh')!.epochs).toBe(8);
    const tanh = standings.find((s) => s.label === 'uniform:tanh')!;
    if (standings[0]!.label === 'uniform:tanh') {
      expect(r.decision).toBeNull();
    } else {
      expect(r.decision!.challenger).toBe(standings[0]!.label);
      const shipped = r.decision!.shipped ? standings[0]! : tanh;
      expect(r.bestValLoss).toBe(shipped.valLoss);
      expect(r.decision!.shipped).toBe(r.decision!.zScore > TRAIN_DEFAULTS.selectionZ);
    }
    expect([...new Set(r.history.map((h) => h.phase))]).toEqual(['soft', 'hard']);
    expect(r.history.at(-1)!.progress).toBeLessThanOrEqual(1);
    // the progress the CLI shows rises and ends near the plan, not far short of it
    for (let i = 1; i < r.history.length; i++)
      expect(r.history[i]!.progress).toBeGreaterThan(r.history[i - 1]!.progress);
    expect(r.history.at(-1)!.progress).toBeGreaterThan(0.5);
  });

  it('ships the leader over the incumbent only past the selectionZ bar', () => {
    const k = (name: string) => library.entries.findIndex((e) => e.name === name);
    const field = ['tanh', 'identity', 'sin'].map((name) => ({
      label: name,
      layers: [0, 1],
      choice: [k(name), k(name)],
    }));
    const run = (selectionZ: number) =>
      race(make(), field, data, { ...TRAIN_DEFAULTS, seed: 6, epochs: 6, selectionZ }, () => {}, 'tanh');
    const strict = run(Infinity);
    const lax = run(-Infinity);
    // the same race either way: only the decision differs
    expect(strict.standings).toEqual(lax.standings);
    const leader = lax.standings[0]!;
    expect(lax.winner.label).toBe(leader.label);
    expect(lax.valLoss).toBe(leader.valLoss);
    expect(strict.winner.label).toBe('tanh');
    // (seed 6: a challenger leads)
    expect(leader.label).not.toBe('tanh');
    expect(strict.decision).toMatchObject({ challenger: leader.label, shipped: false });
    expect(lax.decision).toMatchObject({ challenger: leader.label, shipped: true });
    expect(Number.isFinite(lax.decision!.zScore)).toBe(true);
  });

  it('drops a configuration that diverges, and stops with a clear error when all of them do', () => {
    // ψ(z) = 1e300·z: the first batch overflows
    const exploding = buildEntry({
      name: 'exploding',
      form: 'symbolic',
      params: { fn: 'x', alpha: 1, beta: 0, gamma: 1e300, delta: 0 },
      tail: 'linear',
      natural: { a: 1, b: 0, c: 1, d: 0 },
      provenance: { source: 'user' },
    });
    const lib = makeLibrary([...library.entries, exploding], 2);
    const initial = initModel({ library: lib, inputs: 1, hidden: 6, outputs: 1, seed: 3 });
    const k = (name: string) => lib.entries.findIndex((e) => e.name === name);
    const config = (name: string) => ({ label: name, layers: [0, 1], choice: [k(name), k(name)] });
    const o = { ...TRAIN_DEFAULTS, seed: 4, epochs: 4 };
    const r = race(initial, [config('exploding'), config('tanh')], data, o, () => {}, 'exploding');
    expect(r.winner.label).toBe('tanh');
    expect(r.decision).toBeNull();
    expect(r.standings.at(-1)).toMatchObject({ label: 'exploding', valLoss: Infinity, diverged: true });
    expect(Number.isFinite(r.valLoss)).toBe(true);
    expect(() => race(initial, [config('exploding')], data, o, () => {})).toThrow(
      /every configuration in the race diverged \(training diverged/,
    );
  });

  it('ships a challenger that clearly beats tanh (CO2: a trend tanh saturates on)', () => {
    const CO2 = 'tests/fixtures/co2_mauna_loa.csv';
    const d = forecastWindows(
      selectColumns(readNumericCsv(CO2), ['value'], CO2),
      1,
      0,
      { window: 12, horizon: 1 },
      CO2,
    );
    const r = trainHybrid({ ...make(), residualInput: 0 }, d, { seed: 1, epochs: 12 });
    expect(r.decision!.shipped).toBe(true);
    expect(r.decision!.zScore).toBeGreaterThan(2); // well past the one-standard-error bar
    const tanh = library.entries.find((e) => e.name === 'tanh')!.id;
    expect(r.model.layers.map((l) => l.selector.candidates[l.selector.chosen])).not.toContain(tanh);
    expect(r.bestValLoss).toBeLessThan(0.5 * r.standings.find((s) => s.label === 'uniform:tanh')!.valLoss);
  });
});
