import { afterAll, describe, expect, it } from 'vitest';
import { type EngineName, type EngineSession, getEngine } from '../../../shared/engines/index.js';
import { allFixtures, maxAbsDiff } from '../../shared/onnx/fixtures.js';

const ENGINES: EngineName[] = ['native', 'wasm'];
const sessions: EngineSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

describe.each(ENGINES)('%s engine', (name) => {
  it.each(allFixtures().map((f) => [f.name, f] as const))(
    'computes %s equal to the float32 reference within 1e-6',
    async (_label, fixture) => {
      const engine = await getEngine(name);
      const session = await engine.load(fixture.bytes, { optimization: 'basic', threads: 1 });
      sessions.push(session);
      expect(session.engine).toBe(name);
      const out = await session.run(fixture.feeds);
      expect(Object.keys(out).sort()).toEqual(Object.keys(fixture.expected).sort());
      for (const [output, expected] of Object.entries(fixture.expected)) {
        expect(maxAbsDiff(out[output].data, expected), `${fixture.name}.${output}`).toBeLessThanOrEqual(1e-6);
      }
    },
  );

  it('gives the same scan outputs at every optimisation level', async () => {
    const fixture = allFixtures().find((f) => f.name === 'scan')!;
    const engine = await getEngine(name);
    for (const optimization of ['disabled', 'extended', 'all'] as const) {
      const session = await engine.load(fixture.bytes, { optimization });
      sessions.push(session);
      const out = await session.run(fixture.feeds);
      expect(maxAbsDiff(out.ys.data, fixture.expected.ys), optimization).toBeLessThanOrEqual(1e-6);
      expect(out.ys.dims).toEqual(fixture.feeds.x.dims.slice(0, 2).concat([4]));
    }
  });
});

describe('native and wasm engines', () => {
  it('agree with each other on the int8 QDQ model', async () => {
    const fixture = allFixtures().find((f) => f.name === 'linear_int8')!;
    const outs = [];
    for (const name of ENGINES) {
      const session = await (await getEngine(name)).load(fixture.bytes);
      sessions.push(session);
      outs.push((await session.run(fixture.feeds)).y.data);
    }
    expect(maxAbsDiff(outs[0], outs[1])).toBeLessThanOrEqual(1e-6);
  });
});
