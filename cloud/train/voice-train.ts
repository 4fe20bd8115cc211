/**
 * Keyword spotting from spoken words (issue 4, item 3): the espeak-ng data set of
 * cloud/tasks/voice.ts, a hybrid trained with cross-entropy on standardised log-mel clips, and a
 * model that takes raw features (its input scaling holds the training statistics), so the device
 * feeds it what its WAV adapter computes. Test error is the error rate on held-out utterances,
 * also reported per test set: training speakers in silence, and speakers training never heard.
 */
import type { ActivationLibrary } from '../../shared/library/library.js';
import { initModel } from '../../shared/model/init.js';
import type { HybridModel } from '../../shared/model/model.js';
import { type VoiceData, type VoiceTaskOptions, voiceDataset } from '../tasks/voice.js';
import { accuracy } from './evaluate.js';
import { type LayerSelection, recordUsage, selectionOf } from './forecast.js';
import type { LayerHunger } from './hunger.js';
import type { Standing } from './race.js';
import { type EpochRecord, type TrainOptions, type TrainResult, trainHybrid } from './trainer.js';

export interface VoiceTrainOptions {
  readonly library: ActivationLibrary;
  readonly seed: number;
  /** @defaultValue 32 (16 units reached 0.85 on unheard voices, 32 reach 0.93) */
  readonly hidden?: number;
  /** Data set options (keywords, utterances per class, …); seed defaults to `seed`. */
  readonly task?: Partial<VoiceTaskOptions>;
  readonly train?: Partial<TrainOptions>;
  /** Start hard on one entry (a fixed-activation baseline) instead of selecting. */
  readonly activation?: string;
}

export interface VoiceTrainResult {
  readonly model: HybridModel;
  readonly classes: readonly string[];
  /** Over both test sets (the export's figure). */
  readonly testAccuracy: number;
  /** Training speakers, utterances training never saw, in digital silence. */
  readonly seenVoiceAccuracy: number;
  /** Speakers training never heard, light noise. */
  readonly unseenVoiceAccuracy: number;
  readonly trainAccuracy: number;
  /** 1 − test accuracy. */
  readonly testErrorRate: number;
  readonly selection: LayerSelection[];
  readonly hunger: LayerHunger[];
  /** The race's contestants, best first. */
  readonly standings: Standing[];
  readonly decision: TrainResult['decision'];
  readonly history: EpochRecord[];
  readonly softModel: HybridModel | null;
  readonly data: VoiceData;
}

/**
 * Training settings for keyword models. The race is the search's proposals against tanh: racing
 * every library entry too would multiply a voice training (minutes at 200 utterances per class)
 * by about five.
 */
export const VOICE_TRAIN_DEFAULTS: Readonly<Partial<TrainOptions>> = Object.freeze({
  loss: 'cross-entropy',
  raceLibrary: false,
  epochs: 30,
  batchSize: 16,
  lr: 1e-2,
  patience: 10,
});

export function trainVoice(o: VoiceTrainOptions, onEpoch?: (r: EpochRecord) => void): VoiceTrainResult {
  const data = voiceDataset({ ...o.task, seed: o.task?.seed ?? o.seed });
  const initial = initModel({
    library: o.library,
    inputs: data.train.inputs,
    hidden: o.hidden ?? 32,
    outputs: data.classes.length,
    seed: o.seed,
    ...(o.activation ? { activation: o.activation } : {}),
  });
  const r = trainHybrid(initial, data, { ...VOICE_TRAIN_DEFAULTS, seed: o.seed, ...o.train }, onEpoch);
  const C = data.classes.length;
  const trained: HybridModel = {
    ...r.model,
    scaling: {
      inputMean: data.inputScaling.mean,
      inputStd: data.inputScaling.std,
      outputMean: new Array<number>(C).fill(0),
      outputStd: new Array<number>(C).fill(1),
    },
  };
  const testAccuracy = accuracy(r.model, data.test);
  return {
    model: recordUsage(trained, 'voice'),
    classes: data.classes,
    testAccuracy,
    seenVoiceAccuracy: accuracy(r.model, data.testSeen),
    unseenVoiceAccuracy: accuracy(r.model, data.testUnseen),
    trainAccuracy: accuracy(r.model, data.train),
    testErrorRate: 1 - testAccuracy,
    selection: selectionOf(r.model),
    hunger: r.hunger,
    standings: r.standings,
    decision: r.decision,
    history: r.history,
    softModel: r.softModel,
    data,
  };
}
