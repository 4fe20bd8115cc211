import { describe, expect, it } from 'vitest';
import { surfaceClassification } from '../../../cloud/tasks/classify.js';
import { accuracy } from '../../../cloud/train/evaluate.js';
import { trainHybrid } from '../../../cloud/train/trainer.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';

describe('surface classification', () => {
  const data = surfaceClassification({ seed: 1 });

  it('labels windows one-hot with balanced surfaces and leaves out windows across a switch', () => {
    expect(data.classes).toEqual(['concrete', 'gravel', 'ice']);
    for (const set of [data.train, data.val, data.test]) {
      expect(set.outputs).toBe(3);
      expect(set.x.length).toBe(set.n * set.window * set.inputs);
      const counts = [0, 0, 0];
      for (let k = 0; k < set.n; k++) {
        const row = Array.from(set.y.subarray(k * 3, k * 3 + 3));
        expect(row.reduce((a, b) => a + b, 0)).toBe(1);
        counts[row.indexOf(1)]++;
      }
      expect(new Set(counts).size).toBe(1);
    }
    // 200-sample segments, 20-sample windows every 5 samples: 37 windows per segment
    expect(data.train.n).toBe(3 * 4 * 37);
    expect(surfaceClassification({ seed: 1 }).test.x).toEqual(data.test.x);
  });

  it('a small hybrid tells the surfaces apart on held-out streams, clearly above chance', () => {
    const t0 = performance.now();
    const model = initModel({
      library: classicLibrary(),
      inputs: 4,
      hidden: 8,
      outputs: 3,
      seed: 1,
      activation: 'tanh',
    });
    const r = trainHybrid(model, data, { seed: 1, epochs: 40, lr: 3e-3, loss: 'cross-entropy' });
    const acc = accuracy(r.model, data.test);
    // measured ≈0.69 against a chance level of 1/3, in ≈2 s
    expect(acc).toBeGreaterThan(0.5);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});
