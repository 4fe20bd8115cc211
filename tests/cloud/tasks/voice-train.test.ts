import { describe, expect, it } from 'vitest';
import { voiceDataset } from '../../../cloud/tasks/voice.js';
import { accuracy } from '../../../cloud/train/evaluate.js';
import { trainHybrid } from '../../../cloud/train/trainer.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';

describe('voice keyword spotting', () => {
  it('trains a hybrid far above chance on held-out utterances of heard and unheard voices', () => {
    // 2 keywords + other, 40 utterances each: 24 train (72 of 'other'), 8 validation, 8 test
    // per class from training voices and 8 from voices training never heard. Rendered words are
    // cached under os.tmpdir(), so reruns skip espeak-ng. The full-size figures (200 per class,
    // 4 keywords, a 10-minute stream) are the `voice` benchmark's.
    const t0 = Date.now();
    // no accent variants: at 40 per class they thin out the voices' own words (data seeds 1-3:
    // seen-voice 0.875/0.83/0.875 without, 0.75/0.71/0.67 at the default 0.4 share); their gain
    // at 200-900 per class is the `voice` benchmark's, their data in tests/cloud/tasks/voice.test.ts
    const data = voiceDataset({ seed: 1, keywords: ['yes', 'no'], perClass: 40, accentShare: 0 });
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
      // the search's two proposals race; racing every library entry too (covered in
      // tests/cloud/train/race.test.ts) would multiply this test's time
      raceLibrary: false,
    });
    const t2 = Date.now();
    const acc = {
      train: accuracy(r.model, data.train),
      seen: accuracy(r.model, data.testSeen),
      unseen: accuracy(r.model, data.testUnseen),
    };
    console.log(`voice: data ${t1 - t0} ms, training ${t2 - t1} ms, accuracy`, acc);
    // chance is 1/3; measured 0.875 seen, 0.833 unseen, 0.95 train (espeak-ng 1.51, 253 other words)
    expect(acc.seen).toBeGreaterThanOrEqual(0.8);
    expect(acc.unseen).toBeGreaterThanOrEqual(0.75);
    expect(acc.train).toBeGreaterThan(0.85);
    // without a system espeak-ng the npm build renders the words first (about a minute, once)
  }, 240_000);
});
