/**
 * The engines' fast path (backend handler, reused input tensors) gives what onnxruntime's public
 * run() gives, keeps τ overridable per run, snapshots feeds at call time and never hands out an
 * output array that a later run overwrites.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type EngineName, type EngineSession, getEngine } from '../../../shared/engines/index.js';
import { maxAbsDiff, SCAN, scanFixture } from '../../shared/onnx/fixtures.js';

const sessions: EngineSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function load(name: EngineName, bytes: Uint8Array, fastPath: boolean): Promise<EngineSession> {
  const s = await (await getEngine(name)).load(bytes, { threads: 1, fastPath });
  sessions.push(s);
  return s;
}

/** A copy of the fixture feeds with x scaled, so that each run sees different values. */
function scaled(feeds: ReturnType<typeof scanFixture>['feeds'], k: number) {
  return { ...feeds, x: { data: feeds.x.data.map((v) => v * k), dims: feeds.x.dims } };
}

describe.each(['native', 'wasm'] as EngineName[])('%s engine fast path', (name) => {
  it('equals the public run() path, with τ defaulted and fed', async () => {
    const base = scanFixture();
    const fast = await load(name, base.bytes, true);
    const slow = await load(name, base.bytes, false);
    const tau = { data: Float32Array.from([0.7, 1.1, 4, 0.9]), dims: [4] };
    for (const feeds of [base.feeds, { ...base.feeds, tau }, base.feeds]) {
      const a = await fast.run(feeds);
      const b = await slow.run(feeds);
      expect(Object.keys(a)).toEqual(Object.keys(b));
      for (const k of Object.keys(a)) {
        expect(Array.from(a[k]!.data)).toEqual(Array.from(b[k]!.data));
        expect(a[k]!.dims).toEqual(b[k]!.dims);
      }
    }
    const fed = await fast.run({ ...base.feeds, tau });
    expect(maxAbsDiff(fed.ys.data, scanFixture(Array.from(tau.data)).expected.ys)).toBeLessThanOrEqual(1e-6);
    const dflt = await fast.run(base.feeds);
    expect(maxAbsDiff(dflt.ys.data, base.expected.ys)).toBeLessThanOrEqual(1e-6);
    expect(Array.from(fast.defaults.tau!.data)).toEqual(SCAN.tau.map(Math.fround));
  });

  it('gives fresh, correct results on repeated runs with changed inputs, reused or not', async () => {
    const base = scanFixture();
    const fast = await load(name, base.bytes, true);
    const slow = await load(name, base.bytes, false);
    const kept = [];
    for (let k = 1; k <= 4; k++) {
      const feeds = scaled(base.feeds, k);
      const out = await fast.run(feeds);
      const ref = await slow.run(feeds);
      expect(Array.from(out.ys.data)).toEqual(Array.from(ref.ys.data));
      kept.push({ out, ref });
    }
    // Results of earlier runs are untouched by later ones (no shared output buffers).
    for (const { out, ref } of kept) expect(Array.from(out.ys.data)).toEqual(Array.from(ref.ys.data));
    expect(new Set(kept.map((r) => r.out.ys.data)).size).toBe(kept.length);

    // The same caller array, changed in place between runs, is read anew each time.
    const x = Float32Array.from(base.feeds.x.data);
    const first = await fast.run({ ...base.feeds, x: { data: x, dims: base.feeds.x.dims } });
    x.set(x.map((v) => v * 2));
    const second = await fast.run({ ...base.feeds, x: { data: x, dims: base.feeds.x.dims } });
    const twice = await slow.run(scaled(base.feeds, 2));
    expect(Array.from(second.ys.data)).toEqual(Array.from(twice.ys.data));
    expect(maxAbsDiff(first.ys.data, base.expected.ys)).toBeLessThanOrEqual(1e-6);
  });

  it('snapshots feeds at call time and handles overlapping runs', async () => {
    const base = scanFixture();
    const fast = await load(name, base.bytes, true);
    const slow = await load(name, base.bytes, false);
    const x = Float32Array.from(base.feeds.x.data);
    const pending = fast.run({ ...base.feeds, x: { data: x, dims: base.feeds.x.dims } });
    x.fill(0); // overwritten before the runtime reads the feed
    const overlapping = fast.run(scaled(base.feeds, 3));
    const [a, b] = await Promise.all([pending, overlapping]);
    expect(maxAbsDiff(a.ys.data, base.expected.ys)).toBeLessThanOrEqual(1e-6);
    expect(Array.from(b.ys.data)).toEqual(Array.from((await slow.run(scaled(base.feeds, 3))).ys.data));
  });

  it('takes a new shape after another (batch size change)', async () => {
    const base = scanFixture();
    const fast = await load(name, base.bytes, true);
    const slow = await load(name, base.bytes, false);
    const [n, t, f] = base.feeds.x.dims as number[];
    const one = {
      x: { data: base.feeds.x.data.slice(0, t! * f!), dims: [1, t!, f!] },
      h0: {
        data: base.feeds.h0.data.slice(0, base.feeds.h0.data.length / n!),
        dims: [1, base.feeds.h0.dims[1]!],
      },
    };
    for (const feeds of [base.feeds, one, base.feeds]) {
      const a = await fast.run(feeds);
      const b = await slow.run(feeds);
      expect(a.ys.dims).toEqual(b.ys.dims);
      expect(Array.from(a.ys.data)).toEqual(Array.from(b.ys.data));
    }
  });

  it('rejects a non-boolean fastPath option', async () => {
    const engine = await getEngine(name);
    await expect(engine.load(scanFixture().bytes, { fastPath: 'yes' as unknown as boolean })).rejects.toThrow(
      /fastPath must be a boolean/,
    );
  });
});
