/**
 * No forecaster that ships may diverge on a free-running stream (shared/model/stability.ts):
 * every classic entry, trained statefully, stays bounded for 100,000 steps on inputs inside the
 * training range and 3σ beyond it; a runaway recurrence is caught with its entry and step.
 */
import { describe, expect, it } from 'vitest';
import { refuseUnstable, trainForecast } from '../../../cloud/train/forecast.js';
import { forecastData } from '../../../cloud/train/windows.js';
import { TauSensitivity } from '../../../device/adapt/sensitivity.js';
import { CLASSIC_NAMES } from '../../../shared/activations/forms/classic.js';
import { readNumericCsv, selectColumns } from '../../../shared/io/csv.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { rhoFromTau } from '../../../shared/liquid/cell.js';
import { initModel } from '../../../shared/model/init.js';
import type { HybridModel } from '../../../shared/model/model.js';
import {
  checkStability,
  contractionTauCaps,
  contractLiquidLayers,
  entryGrowth,
} from '../../../shared/model/stability.js';

const FILE = 'tests/fixtures/nottingham_temp.csv';
const library = classicLibrary();
const raw = selectColumns(readNumericCsv(FILE), ['value'], FILE);

/** The training rows' range in raw units (the first 70%), with their standard deviation. */
function rawRange() {
  const n = Math.floor(raw.length * 0.7);
  const rows = Array.from(raw.subarray(0, n));
  const mean = rows.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(rows.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return [{ lo: Math.min(...rows), hi: Math.max(...rows), std }];
}

function runaway(): HybridModel {
  const m = initModel({ library, inputs: 1, hidden: 4, outputs: 1, seed: 1, activation: 'identity' });
  const W = m.params.get('L1.W')!;
  W.fill(0);
  for (let i = 0; i < 4; i++) W[i * 4 + i] = 3;
  return { ...m, residualInput: 0 };
}

describe('stability on a free-running stream', () => {
  it('knows which classic entries are unbounded', () => {
    const unbounded = library.entries.filter((e) => entryGrowth(e).unbounded).map((e) => e.name);
    expect(unbounded.sort()).toEqual(['gelu', 'identity', 'leaky_relu', 'relu', 'silu', 'softplus']);
  });

  it.each([...CLASSIC_NAMES])(
    '%s: trained statefully, bounded for 100,000 steps in and 3σ beyond the training range',
    (name) => {
      const r = trainForecast({
        file: FILE,
        target: 'value',
        window: 12,
        horizon: 1,
        library,
        hidden: 6,
        seed: 2,
        activation: name,
        train: { epochs: 3 },
        stabilitySteps: 0,
      });
      expect(checkStability(r.model, { steps: 100_000, range: rawRange(), bound: 1e3 })).toBeNull();
    },
  );

  it('catches a runaway recurrence, which the training contraction prevents', () => {
    const m = runaway();
    const range = [{ lo: -1, hi: 1, std: 1 }];
    const f = checkStability(m, { steps: 100_000, range });
    expect(f).not.toBeNull();
    expect(f!.step).toBeLessThan(100);
    expect(f!.entries).toContain('L1 liquid identity');
    contractLiquidLayers(m);
    expect(checkStability(m, { steps: 100_000, range, bound: 1e3 })).toBeNull();
  });

  it('refuses an unstable model with its entry and the step where it diverged', () => {
    const data = forecastData(raw, 1, 0, { window: 12, horizon: 1 }, FILE);
    expect(() => refuseUnstable(runaway(), data, 100_000)).toThrow(
      /the trained model \(L0 dense identity, L1 liquid identity\) diverges on a free-running stream: at step \d+ of 100000 on the '[a-z-]+' inputs .*; no model written/,
    );
  });

  it("keeps the device's online τ adaptation under the contraction's caps", () => {
    const m = runaway();
    contractLiquidLayers(m);
    const sens = new TauSensitivity(m);
    const caps = contractionTauCaps(m);
    for (let j = 0; j < caps.length; j++) {
      expect(sens.tauMax[j]!).toBeLessThanOrEqual(Math.max(caps[j]!, sens.tau[j]!));
      expect(sens.tauMax[j]!).toBeLessThan(20);
    }
    const range = [{ lo: -1, hi: 1, std: 1 }];
    const rho = m.params.get('L1.rho')!;
    // every τ at the most adaptation may reach: still bounded
    for (let i = 0; i < rho.length; i++) rho[i] = rhoFromTau(sens.tauMax[i]!, 0.2, 20);
    expect(checkStability(m, { steps: 100_000, range, bound: 1e3 })).toBeNull();
    // every τ at the top of the band, which adaptation could reach without the caps: runs away
    for (let i = 0; i < rho.length; i++) rho[i] = rhoFromTau(19.9, 0.2, 20);
    expect(checkStability(m, { steps: 100_000, range })).not.toBeNull();
  });
});
