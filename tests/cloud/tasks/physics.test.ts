import { describe, expect, it } from 'vitest';
import { oscillatorStream, robotStream, thermalStream } from '../../../cloud/tasks/physics.js';
import { physicsWindows, thinWindows } from '../../../cloud/tasks/physics-windows.js';
import { InputError } from '../../../shared/errors.js';

/** Free decay from (x0, 0) of x'' + 2ζω x' + ω² x = 0, underdamped. */
function analytic(t: number, omega: number, zeta: number, x0: number) {
  const wd = omega * Math.sqrt(1 - zeta * zeta);
  const e = Math.exp(-zeta * omega * t);
  const x = x0 * e * (Math.cos(wd * t) + ((zeta * omega) / wd) * Math.sin(wd * t));
  const v = -x0 * e * ((omega * omega) / wd) * Math.sin(wd * t);
  return { x, v };
}

describe('oscillator', () => {
  it('follows the analytic free decay before the shift, on a jittered grid too', () => {
    for (const jitter of [0, 0.3]) {
      const s = oscillatorStream({ seed: 4, steps: 800, driveAmp: 0, x0: 1, jitter });
      const { omega, zeta } = s.before;
      let energy = Infinity;
      for (let k = 0; k <= s.shiftIndex; k++) {
        const { x, v } = analytic(s.t[k]!, omega, zeta, 1);
        expect(Math.abs(s.series[k * 3 + 1]! - x)).toBeLessThan(1e-7);
        expect(Math.abs(s.series[k * 3 + 2]! - v)).toBeLessThan(1e-6);
        // E = ½v² + ½ω²x² never grows (dE/dt = −2ζω·v²)
        const e = 0.5 * s.series[k * 3 + 2]! ** 2 + 0.5 * omega ** 2 * s.series[k * 3 + 1]! ** 2;
        expect(e).toBeLessThanOrEqual(energy + 1e-12);
        energy = e;
      }
      // the envelope: E ≈ E₀·e^{−2ζωt} averaged over a period
      const tEnd = s.t[s.shiftIndex]!;
      expect(energy).toBeLessThan(0.5 * omega ** 2 * Math.exp(-2 * zeta * omega * tEnd) * 1.3);
      if (jitter > 0) {
        expect(Math.min(...s.dt)).toBeGreaterThanOrEqual(0.7 * s.dtS);
        expect(Math.max(...s.dt)).toBeLessThanOrEqual(1.3 * s.dtS);
        expect(new Set(s.dt).size).toBeGreaterThan(100);
        expect(s.t[10]! - s.t[9]!).toBeCloseTo(s.dt[10]!, 12);
      }
    }
  });
});

describe('regime shift', () => {
  const systems = {
    oscillator: (shiftIndex: number | null) => oscillatorStream({ seed: 2, steps: 600, shiftIndex }),
    robot: (shiftIndex: number | null) => robotStream({ seed: 2, steps: 600, shiftIndex }),
    thermal: (shiftIndex: number | null) => thermalStream({ seed: 2, steps: 600, shiftIndex }),
  };
  for (const [name, make] of Object.entries(systems)) {
    it(`${name}: rows up to the stated index are the unshifted run, the next row differs`, () => {
      const shifted = make(250);
      const plain = make(null);
      const C = shifted.columns.length;
      expect(shifted.shiftIndex).toBe(250);
      expect(plain.shiftIndex).toBe(600);
      expect(shifted.before).not.toEqual(shifted.after);
      expect(plain.after).toEqual(plain.before);
      expect(Array.from(shifted.series.subarray(0, 251 * C))).toEqual(
        Array.from(plain.series.subarray(0, 251 * C)),
      );
      const next = (s: typeof shifted) => Array.from(s.series.subarray(251 * C, 252 * C));
      expect(next(shifted)).not.toEqual(next(plain));
    });
  }

  it('robot on ice: the wheel slips where it gripped on concrete', () => {
    const s = robotStream({ seed: 3, steps: 2000 });
    const slip = (from: number, to: number) => {
      let m = 0;
      for (let r = from; r < to; r++) m = Math.max(m, Math.abs(s.series[r * 4 + 2]! - s.series[r * 4 + 1]!));
      return m;
    };
    expect(s.before.mu).toBe(0.8);
    expect(s.after.mu).toBe(0.08);
    expect(slip(0, s.shiftIndex)).toBeLessThan(0.1); // m/s
    expect(slip(s.shiftIndex, s.rows)).toBeGreaterThan(1);
  });

  it('thermal: a colder ambient cools the body under the same heater', () => {
    const a = thermalStream({ seed: 5, steps: 1500, shiftIndex: 500 });
    const b = thermalStream({ seed: 5, steps: 1500, shiftIndex: null });
    for (const r of [800, 1200, 1499]) expect(a.series[r * 3 + 2]!).toBeLessThan(b.series[r * 3 + 2]! - 5);
  });
});

describe('determinism and windows', () => {
  it('reproduces a stream from its seed and changes with it', () => {
    for (const make of [oscillatorStream, robotStream, thermalStream]) {
      const a = make({ seed: 9, steps: 300, jitter: 0.2 });
      const b = make({ seed: 9, steps: 300, jitter: 0.2 });
      const c = make({ seed: 10, steps: 300, jitter: 0.2 });
      expect(Array.from(a.series)).toEqual(Array.from(b.series));
      expect(Array.from(a.dt)).toEqual(Array.from(b.dt));
      expect(Array.from(a.series)).not.toEqual(Array.from(c.series));
    }
  });

  it('cuts forecasting windows with their first row and Δt, and names a missing column', () => {
    const s = oscillatorStream({ seed: 1, steps: 500, jitter: 0.2 });
    const d = physicsWindows(s, {
      target: 'x',
      inputs: ['u', 'x [m]'],
      window: 10,
      horizon: 3,
      rows: [0, 250],
    });
    expect(d.columns).toEqual(['u [m/s²]', 'x [m]']);
    expect(d.targetCol).toBe(1);
    expect(d.train.n + d.val.n + d.test.n).toBe(250 - 10 - 3 + 1);
    const k = 7;
    const start = d.starts.test[k]!;
    const { mean, std } = d.targetScaling;
    expect(d.test.y[k]! * std + mean).toBeCloseTo(s.series[(start + 9 + 3) * 3 + 1]!, 10);
    expect(d.dts.test[k * 10 + 4]! * s.dtS).toBeCloseTo(s.dt[start + 4]!, 12);
    expect(() => physicsWindows(s, { target: 'y', window: 10, horizon: 1 })).toThrow(/no column 'y'/);
    expect(() => physicsWindows(s, { target: 'v', inputs: ['u', 'x'], window: 10, horizon: 1 })).toThrow(
      InputError,
    );
    const thin = thinWindows(d.train, 5);
    expect(thin.n).toBe(5);
    expect(thin.y[1]).toBe(d.train.y[Math.floor(d.train.n / 5)]);
  });
});
