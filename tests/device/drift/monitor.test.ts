import { describe, expect, it } from 'vitest';
import { DriftMonitor } from '../../../device/drift/monitor.js';
import { Rng } from '../../../shared/numeric/rng.js';

describe('DriftMonitor', () => {
  it('reports one event per detector for one shift, and none before it', () => {
    const rng = new Rng(5);
    const m = new DriftMonitor(2);
    const x = new Float64Array(2);
    const shift = 3000;
    for (let t = 0; t < 4000; t++) {
      const after = t >= shift;
      x[0] = rng.normal() + (after ? 2 : 0); // this feature moves with the shift
      x[1] = rng.normal(); // this one does not
      const err = 0.3 * rng.normal() * (after ? 3 : 1);
      m.update(err, x, t);
    }
    const names = m.events.map((e) => e.detector).sort();
    expect(names).toEqual(['adwin', 'page-hinkley', 'psi[0]']);
    for (const e of m.events) {
      expect(e.step).toBeGreaterThanOrEqual(shift);
      expect(e.step - shift).toBeLessThan(300);
    }
    expect(m.errorScale).toBeCloseTo(0.3, 1);
    expect(m.state()['psi[1]']!.psi).toBeLessThan(0.2);
  });

  it('holds back repeated events during the cooldown and ignores NaN errors', () => {
    const m = new DriftMonitor(1, { cooldownSteps: 10_000, warmupSteps: 10, pageHinkley: { lambda: 5 } });
    const rng = new Rng(2);
    for (let t = 0; t < 3000; t++) {
      const err = t % 50 === 0 ? Number.NaN : (t < 500 ? 1 : 4) * Math.abs(rng.normal());
      m.update(err, [0], t);
    }
    expect(m.events.filter((e) => e.detector === 'page-hinkley')).toHaveLength(1);
    expect(m.suppressed).toBeGreaterThan(0);
    expect(m.state()['page-hinkley']!.ignored + m.state().adwin!.ignored).toBeGreaterThan(0);
    m.reset();
    expect(m.events).toHaveLength(0);
  });
});
