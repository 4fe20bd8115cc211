/**
 * The compiled engine's generated code against onnxruntime-node on the paths the speed work
 * added: what depends only on Δt and τ runs in a memo block that must rerun whenever either
 * changes (and give onnxruntime's result after any sequence of changes), rows wider than the
 * unrolled Gemm take the k-loop, and the float32 rational tanh stays within 3e-8 of tanh (two
 * float32 ulps at most).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tanhF32 } from '../../../shared/engines/compiled/fast-math.js';
import { UNROLL_K } from '../../../shared/engines/compiled/gemm.js';
import { type EngineSession, getEngine } from '../../../shared/engines/index.js';
import { exportModel } from '../../../shared/export/export.js';
import { loadProfile } from '../../../shared/profiles.js';
import { randomInputs, tinyModel } from '../../helpers/models.js';

const sessions: EngineSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function pair(hidden: number, activation: string) {
  const model = tinyModel({ activation, hidden, seed: 5 });
  const bytes = exportModel(model, { profile: loadProfile('pi5'), quant: 'fp32' }).files[
    'model.onnx'
  ] as Uint8Array;
  const js = await (await getEngine('js')).load(bytes);
  const ort = await (await getEngine('native')).load(bytes, { threads: 1 });
  sessions.push(js, ort);
  return { js, ort, model };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('compiled step function', () => {
  it('recomputes what depends on Δt and τ whenever they change, like onnxruntime', async () => {
    const H = 6;
    const { js, ort } = await pair(H, 'sigmoid');
    const c = js.compiled!;
    // the decay exp(−Δt/τ) sits in the block that runs only on a change of Δt or τ
    expect(c.source).toMatch(/if \(!fresh\) \{[^}]*Math\.exp/);
    const x = randomInputs(11, 12, 3);
    const tauA = Float32Array.from({ length: H }, (_, i) => 0.5 + i);
    const tauB = Float32Array.from({ length: H }, (_, i) => 4 - 0.5 * i);
    // held for a few steps, then τ changes, one τ value alone changes, Δt changes, then back
    const schedule: [Float32Array, number][] = [
      [tauA, 1],
      [tauA, 1],
      [tauA, 1],
      [tauB, 1],
      [tauB, 1],
      [Float32Array.from(tauB, (v, i) => (i === 3 ? 0.3 : v)), 1],
      [tauB, 0.25],
      [tauB, 0.25],
      [tauA, 0.25],
      [tauA, 2],
      [tauA, 1],
      [tauA, 1],
    ];
    let state = new Float32Array(H);
    for (const [t, [tau, dt]] of schedule.entries()) {
      const feeds = {
        input: { data: Float32Array.from(x.subarray(t * 3, t * 3 + 3)), dims: [1, 3] },
        state: { data: state, dims: [1, H] },
        dt: { data: Float32Array.of(dt), dims: [1, 1] },
        tau: { data: tau, dims: [H] },
      };
      const a = await js.run(feeds);
      const b = await ort.run(feeds);
      expect(maxAbsDiff(a['state_out']!.data, b['state_out']!.data), `state at step ${t}`).toBeLessThan(1e-5);
      expect(maxAbsDiff(a['output']!.data, b['output']!.data), `output at step ${t}`).toBeLessThan(1e-5);
      state = Float32Array.from(b['state_out']!.data);
    }
  });

  it(`takes rows wider than ${UNROLL_K} through the k-loop, like onnxruntime`, async () => {
    const H = UNROLL_K + 13;
    const { js, ort } = await pair(H, 'tanh');
    expect(js.compiled!.source).toContain(`o += ${H}) {`);
    let state = new Float32Array(H);
    const x = randomInputs(12, 10, 3);
    for (let t = 0; t < 10; t++) {
      const feeds = {
        input: { data: Float32Array.from(x.subarray(t * 3, t * 3 + 3)), dims: [1, 3] },
        state: { data: state, dims: [1, H] },
        dt: { data: Float32Array.of(1), dims: [1, 1] },
      };
      const a = await js.run(feeds);
      const b = await ort.run(feeds);
      expect(maxAbsDiff(a['state_out']!.data, b['state_out']!.data), `state at step ${t}`).toBeLessThan(1e-5);
      state = Float32Array.from(b['state_out']!.data);
    }
  });

  it('has a tanh within 3e-8 and two float32 ulps of tanh, saturating at ±1', () => {
    // float32 steps between two values: the distance of their bit patterns (same sign here)
    const f = new Float32Array(2);
    const bits = new Int32Array(f.buffer);
    let worstUlps = 0;
    let worstAbs = 0;
    for (let x = -12; x <= 12; x += 1 / 1024) {
      f[0] = tanhF32(x);
      f[1] = Math.tanh(x);
      worstUlps = Math.max(worstUlps, Math.abs(bits[0]! - bits[1]!));
      worstAbs = Math.max(worstAbs, Math.abs(tanhF32(x) - Math.tanh(x)));
    }
    expect(worstAbs).toBeLessThan(3e-8);
    expect(worstUlps).toBeLessThanOrEqual(2);
    expect(Math.fround(tanhF32(20))).toBe(1);
    expect(Math.fround(tanhF32(Number.NEGATIVE_INFINITY))).toBe(-1);
    expect(tanhF32(Number.NaN)).toBeNaN();
    expect(Object.is(tanhF32(-0), -0)).toBe(true);
  });
});
