import { describe, expect, it } from 'vitest';
import { voiceDataset } from '../../../cloud/tasks/voice.js';
import { accuracy } from '../../../cloud/train/evaluate.js';
import { trainHybrid } from '../../../cloud/train/trainer.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';

describe('voice keyword spotting', () => {
  it('trains a hybrid far above chance on held-out utterances', () => {
    // 4 keywords + other, 60 utterances each: 36 train, 12 validation, 12 test per class.
    // Rendered words are cached under os.tmpdir(), so reruns skip espeak-ng.
    const t0 = Date.now();
    const data = voiceDataset({ seed: 1, keywords: ['yes', 'no', 'up', 'down'], perClass: 60 });
    const t1 = Date.now();
    const model = initModel({
      library: classicLibrary(),
      inputs: data.train.inputs,
      hidden: 16,
      outputs: data.classes.length,
      seed: 2,
    });
    const r = trainHybrid(model, data, {
      seed: 3,
      loss: 'cross-entropy',
      epochs: 30,
      batchSize: 16,
      lr: 1e-2,
      patience: 10,
      // the search's two proposals race; racing every library entry too (the default, covered
      // in tests/cloud/train/race.test.ts) would triple this test's time
      raceLibrary: false,
    });
    const t2 = Date.now();
    const acc = { train: accuracy(r.model, data.train), test: accuracy(r.model, data.test) };
    console.log(`voice: data ${t1 - t0} ms, training ${t2 - t1} ms, accuracy`, acc);
    // chance is 1/5; measured 0.85 on the test clips (espeak-ng 1.51), 0.87 with the npm build
    expect(acc.test).toBeGreaterThanOrEqual(0.7);
    expect(acc.train).toBeGreaterThan(0.9);
    // without a system espeak-ng the npm build renders the 300 words first (about a minute, once)
  }, 240_000);
});
