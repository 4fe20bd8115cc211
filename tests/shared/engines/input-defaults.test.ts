import { describe, expect, it } from 'vitest';
import { type EngineName, getEngine } from '../../../shared/engines/index.js';
import { OnnxError } from '../../../shared/errors.js';
import { maxAbsDiff, SCAN, scanFixture } from '../../shared/onnx/fixtures.js';

describe.each(['native', 'wasm'] as EngineName[])(
  '%s engine with an input that has a default (τ)',
  (name) => {
    it('lists the input, uses the default when the feed omits it, and the fed value when given', async () => {
      const base = scanFixture();
      const tau = [0.7, 1.1, 4, 0.9];
      const overridden = scanFixture(tau);
      const session = await (await getEngine(name)).load(base.bytes);
      try {
        expect(session.inputNames).toEqual(['x', 'h0', 'tau']);
        expect(Array.from(session.defaults.tau.data)).toEqual(SCAN.tau.map(Math.fround));

        const omitted = await session.run(base.feeds);
        expect(maxAbsDiff(omitted.ys.data, base.expected.ys)).toBeLessThanOrEqual(1e-6);

        const fed = await session.run({ ...base.feeds, tau: { data: Float32Array.from(tau), dims: [4] } });
        expect(maxAbsDiff(fed.ys.data, overridden.expected.ys)).toBeLessThanOrEqual(1e-6);
        expect(maxAbsDiff(fed.ys.data, base.expected.ys)).toBeGreaterThan(1e-3);

        // The default is used again afterwards: overriding is per run, not sticky.
        const again = await session.run(base.feeds);
        expect(maxAbsDiff(again.ys.data, base.expected.ys)).toBeLessThanOrEqual(1e-6);
      } finally {
        await session.release();
      }
    });

    it('names a missing input, an unknown feed and a wrongly sized one', async () => {
      const base = scanFixture();
      const session = await (await getEngine(name)).load(base.bytes);
      try {
        await expect(session.run({ x: base.feeds.x })).rejects.toThrow(/input 'h0' is missing/);
        await expect(session.run({ ...base.feeds, bogus: base.feeds.x })).rejects.toThrow(
          /feed 'bogus' is not a model input/,
        );
        await expect(
          session.run({ ...base.feeds, tau: { data: new Float32Array(3), dims: [4] } }),
        ).rejects.toThrow(OnnxError);
      } finally {
        await session.release();
      }
    });
  },
);
