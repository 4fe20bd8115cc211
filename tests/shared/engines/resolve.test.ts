import { describe, expect, it } from 'vitest';
import { type Engine, getEngine, registerEngine, resolveEngine } from '../../../shared/engines/index.js';
import { OnnxError } from '../../../shared/errors.js';
import { mlpFixture } from '../../shared/onnx/fixtures.js';

/** Stands in for onnxruntime-node on a board without the addon. */
const brokenNative: Engine = {
  name: 'native',
  init: () =>
    Promise.reject(new Error("Cannot find module '../bin/napi-v6/linux/arm/onnxruntime_binding.node'")),
  load: () => Promise.reject(new Error('unreachable')),
};

describe('resolveEngine', () => {
  it('picks the first engine in the profile order that starts', async () => {
    const r = await resolveEngine(['native', 'wasm']);
    expect(r.name).toBe('native');
    expect(r.failures).toEqual([]);
    expect(r.summary).toBe('engine native');
  });

  it('falls back to wasm when the native addon fails to load, and says why', async () => {
    const restore = registerEngine(brokenNative);
    try {
      const r = await resolveEngine(['native', 'wasm']);
      expect(r.name).toBe('wasm');
      expect(r.failures).toEqual([
        { name: 'native', reason: expect.stringMatching(/onnxruntime_binding\.node/) },
      ]);
      expect(r.summary).toMatch(/^engine wasm \(native failed: Cannot find module/);
      const session = await r.engine.load(mlpFixture().bytes);
      expect(session.engine).toBe('wasm');
      await session.release();
    } finally {
      restore();
    }
    expect((await getEngine('native')).name).toBe('native');
    expect(await getEngine('native')).not.toBe(brokenNative);
  });

  it('rejects with every reason when no engine starts', async () => {
    const restore = registerEngine(brokenNative);
    try {
      await expect(resolveEngine(['native'])).rejects.toThrow(
        /no inference engine could start.*native: Cannot find/,
      );
      await expect(resolveEngine([])).rejects.toThrow(/engine order is empty/);
    } finally {
      restore();
    }
  });
});

describe.each(['native', 'wasm'] as const)('%s engine load', (name) => {
  it('turns corrupt bytes into an OnnxError that names the engine and the failure', async () => {
    const engine = await getEngine(name);
    const good = mlpFixture().bytes;
    const corrupt = Uint8Array.from(good.subarray(0, 40), (b, i) => (i % 3 === 0 ? b ^ 0xa5 : b));
    for (const bytes of [corrupt, new Uint8Array([1, 2, 3, 4]), new Uint8Array()]) {
      const err = await engine.load(bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OnnxError);
      expect((err as OnnxError).message).toMatch(
        new RegExp(`^${name} engine: cannot load the model \\(\\d+ bytes\\): .+`),
      );
      expect((err as OnnxError).code).toBe('E_ONNX');
    }
  });

  it('rejects bad options with a RangeError naming the option', async () => {
    const engine = await getEngine(name);
    await expect(engine.load(mlpFixture().bytes, { threads: 0 })).rejects.toThrow(RangeError);
    await expect(engine.load(mlpFixture().bytes, { optimization: 'max' as never })).rejects.toThrow(
      /optimization must be/,
    );
  });
});
