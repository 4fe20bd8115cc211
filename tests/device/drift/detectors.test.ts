import { describe, expect, it } from 'vitest';
import { Adwin } from '../../../device/drift/adwin.js';
import { PageHinkley } from '../../../device/drift/page-hinkley.js';
import { PsiDetector } from '../../../device/drift/psi.js';
import type { DriftDetector, DriftEvent } from '../../../device/drift/types.js';
import { Rng } from '../../../shared/numeric/rng.js';

/** Feed f(t) for t < steps; the events raised. */
function feed(d: DriftDetector, steps: number, f: (t: number) => number): DriftEvent[] {
  const events: DriftEvent[] = [];
  for (let t = 0; t < steps; t++) {
    const e = d.update(f(t), t);
    if (e) events.push(e);
  }
  return events;
}

const SHIFT = 2000;

describe('Page-Hinkley', () => {
  it('raises no false alarm on 100 000 stationary |N(0,1)| errors', () => {
    const rng = new Rng(7);
    expect(feed(new PageHinkley(), 100_000, () => Math.abs(rng.normal()))).toEqual([]);
  });

  it('detects a one-σ rise in the error within 100 steps and reports its state', () => {
    for (let seed = 0; seed < 5; seed++) {
      const rng = new Rng(seed);
      const ev = feed(new PageHinkley(), 3000, (t) => Math.abs(rng.normal()) + (t >= SHIFT ? 1 : 0));
      expect(ev.length).toBeGreaterThan(0);
      const delay = ev[0]!.step - SHIFT;
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(100);
      expect(ev[0]!.statistic).toBeGreaterThan(ev[0]!.threshold);
      expect(ev[0]!.state.n).toBeGreaterThan(SHIFT);
    }
  });

  it('ignores NaN (counted) without disturbing the statistic', () => {
    const rng = new Rng(1);
    const a = new PageHinkley();
    const b = new PageHinkley();
    for (let t = 0; t < 500; t++) {
      const v = Math.abs(rng.normal());
      a.update(v, t);
      b.update(v, t);
      if (t % 10 === 0) b.update(Number.NaN, t);
    }
    expect(b.state().ignored).toBe(50);
    expect({ ...b.state(), ignored: 0 }).toEqual({ ...a.state(), ignored: 0 });
  });
});

describe('ADWIN', () => {
  it('raises no false alarm on 100 000 stationary N(0,1) values and keeps bounded memory', () => {
    const rng = new Rng(8);
    const a = new Adwin();
    expect(feed(a, 100_000, () => rng.normal())).toEqual([]);
    expect(a.windowLength).toBe(100_000);
    expect(a.state().buckets).toBeLessThanOrEqual(6 * 17); // (M + 1) per level, log2 W levels
  });

  it('detects a mean shift within 100 steps and shrinks its window to the new regime', () => {
    for (let seed = 0; seed < 5; seed++) {
      const rng = new Rng(seed);
      const a = new Adwin();
      const ev = feed(a, SHIFT + 200, (t) => rng.normal() + (t >= SHIFT ? 1 : 0));
      expect(ev.length).toBeGreaterThan(0);
      const delay = ev[0]!.step - SHIFT;
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(100);
      expect(ev[0]!.state.width).toBeLessThan(SHIFT / 2);
      expect(a.windowLength).toBeLessThan(SHIFT / 2);
      expect(a.mean).toBeGreaterThan(0.5);
    }
  });

  it('respects maxWindow and ignores NaN', () => {
    const a = new Adwin({ maxWindow: 1000 });
    feed(a, 5000, (t) => (t % 7 === 0 ? Number.NaN : Math.sin(t)));
    expect(a.windowLength).toBeLessThanOrEqual(1000);
    expect(a.state().ignored).toBe(715);
    expect(Number.isFinite(a.mean)).toBe(true);
  });
});

describe('PSI', () => {
  it('stays near 0 for the same distribution and passes 0.2 for a shifted one', () => {
    const rng = new Rng(3);
    const same = new PsiDetector();
    expect(feed(same, 20_000, () => rng.normal())).toEqual([]);
    expect(same.value).toBeLessThan(0.1);
    const shifted = new PsiDetector();
    const ev = feed(shifted, 2000, (t) => rng.normal() + (t >= 1000 ? 1 : 0));
    expect(ev.length).toBeGreaterThan(0);
    expect(ev[0]!.step).toBeGreaterThanOrEqual(1000);
    expect(ev[0]!.step - 1000).toBeLessThanOrEqual(300);
    expect(ev[0]!.statistic).toBeGreaterThan(0.2);
    expect(ev[0]!.state.bins).toBe(10);
    expect(ev).toHaveLength(1); // the reference was rebuilt from the new regime
  });

  it('counts NaN without letting it into the bins, and copes with a constant feature', () => {
    const p = new PsiDetector({ referenceSize: 100, recentSize: 100, checkEvery: 1 });
    const ev = feed(p, 400, (t) => (t % 4 === 0 ? Number.NaN : 3));
    expect(ev).toEqual([]);
    expect(p.state().ignored).toBe(100);
    expect(p.value).toBe(0);
    expect(p.state().bins).toBe(2); // below and from the single edge
  });
});
