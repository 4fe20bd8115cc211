import { describe, expect, it } from 'vitest';
import { selectOnDevice } from '../../../device/select/select.js';
import { rebuildSession } from '../../../device/select/session.js';
import { driveInputs, teacherBuffer, withEntry } from '../../../scripts/bench-select.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { ReferenceRunner } from '../../../shared/model/reference.js';

describe('rebuildSession', () => {
  it('loads the installed selection into an engine that computes what the reference does', async () => {
    const model = initModel({
      library: classicLibrary(),
      inputs: 3,
      hidden: 8,
      outputs: 2,
      seed: 7,
      activation: 'tanh',
      tauMax: 3,
    });
    const buffer = teacherBuffer(withEntry(model, 0, 'sin'), driveInputs(2, 600, 3));
    const { model: selected, report } = selectOnDevice(model, buffer, { budgetMs: Infinity });
    expect(report.installed).toBe(true);
    const session = await rebuildSession(selected, 'fp32', 'native', 1);
    try {
      const x = Float64Array.of(0.3, -0.7, 1.1);
      const out = await session.run({
        input: { data: Float32Array.from(x), dims: [1, 3] },
        state: { data: new Float32Array(8), dims: [1, 8] },
        dt: { data: Float32Array.of(1), dims: [1, 1] },
      });
      const ref = new Float64Array(2);
      new ReferenceRunner(selected, 1).step(x, 1, ref);
      for (let j = 0; j < 2; j++) expect(Math.abs(out.output!.data[j]! - ref[j]!)).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  });
});
