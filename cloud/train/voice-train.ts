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
import {
  OTHER_WORDS,
  VOICE_DEFAULTS,
  type VoiceData,
  type VoiceTaskOptions,
  voiceDataset,
} from '../tasks/voice.js';
import { keywordStream, streamSpeakers } from '../tasks/voice-stream.js';
import { accuracy } from './evaluate.js';
import { type LayerSelection, recordUsage, selectionOf } from './forecast.js';
import type { LayerHunger } from './hunger.js';
import type { Standing } from './race.js';
import { type EpochRecord, type TrainOptions, type TrainResult, trainHybrid } from './trainer.js';
import {
  HARD_NEGATIVE_DEFAULTS,
  type HardNegativeOptions,
  keywordReplay,
  mineHardNegatives,
  withRows,
} from './voice-hard-negatives.js';

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
  /**
   * Hard-negative mining after training (voice-hard-negatives.ts).
   * @defaultValue { rounds: 0 } (none; HARD_NEGATIVE_DEFAULTS for the rest)
   */
  readonly hardNegatives?: Partial<HardNegativeOptions>;
}

/** One mining round: clips scored on the non-keyword stream, how many reached the bar, kept. */
export interface MiningRound {
  readonly round: number;
  readonly scored: number;
  readonly found: number;
  readonly kept: number;
  /** Clip accuracy of the model that mined (before this round's training), per test set. */
  readonly seenVoiceAccuracyBefore: number;
  readonly unseenVoiceAccuracyBefore: number;
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
  /** Hard-negative mining rounds, in order (empty without mining). */
  readonly mining: MiningRound[];
  /** With mining: the model before it (input scaling included), to measure what mining did. */
  readonly unminedModel: HybridModel | null;
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
  const withScaling = (m: HybridModel): HybridModel => ({
    ...m,
    scaling: {
      inputMean: data.inputScaling.mean,
      inputStd: data.inputScaling.std,
      outputMean: new Array<number>(C).fill(0),
      outputStd: new Array<number>(C).fill(1),
    },
  });
  const mined = mineAndRetrain(o, data, r.model, withScaling, onEpoch);
  const model = mined.model;
  const trained = withScaling(model);
  const testAccuracy = accuracy(model, data.test);
  return {
    model: recordUsage(trained, 'voice'),
    classes: data.classes,
    testAccuracy,
    seenVoiceAccuracy: accuracy(model, data.testSeen),
    unseenVoiceAccuracy: accuracy(model, data.testUnseen),
    trainAccuracy: accuracy(model, data.train),
    testErrorRate: 1 - testAccuracy,
    selection: selectionOf(r.model),
    hunger: r.hunger,
    standings: r.standings,
    decision: r.decision,
    history: r.history,
    softModel: r.softModel,
    data,
    mining: mined.rounds,
    unminedModel: mined.rounds.length ? recordUsage(withScaling(r.model), 'voice') : null,
  };
}

/**
 * Rounds of hard-negative mining: each listens to a new stream of training speakers saying
 * training 'other' words, keeps the clips the current model takes for a keyword, and trains on
 * from the current weights with every clip mined so far.
 */
function mineAndRetrain(
  o: VoiceTrainOptions,
  data: VoiceData,
  start: HybridModel,
  withScaling: (m: HybridModel) => HybridModel,
  onEpoch?: (r: EpochRecord) => void,
): { model: HybridModel; rounds: MiningRound[] } {
  const h: HardNegativeOptions = { ...HARD_NEGATIVE_DEFAULTS, rounds: 0, ...o.hardNegatives };
  const task = { ...VOICE_DEFAULTS, ...o.task };
  const keywords = data.classes.slice(0, -1);
  const otherWords = o.task?.otherWords ?? OTHER_WORDS.filter((w) => !keywords.includes(w));
  let model = start;
  let train = data.train;
  let val = data.val;
  const rounds: MiningRound[] = [];
  for (let round = 0; round < h.rounds; round++) {
    const stream = keywordStream({
      seed: (o.task?.seed ?? o.seed) * 1009 + 17 * (round + 1),
      keywords,
      keywordShare: 0,
      fillerWords: otherWords,
      speakers: streamSpeakers('training', task),
      durationS: h.streamS,
      sampleRate: data.features.sampleRate,
      ...(task.cacheDir ? { cacheDir: task.cacheDir } : {}),
    });
    const m = mineHardNegatives(withScaling(model), stream.samples, data.inputScaling, keywords.length, h);
    rounds.push({
      round,
      scored: m.scored,
      found: m.found,
      kept: m.train.n + m.val.n,
      seenVoiceAccuracyBefore: accuracy(model, data.testSeen),
      unseenVoiceAccuracyBefore: accuracy(model, data.testUnseen),
    });
    if (m.train.n + m.val.n === 0) break;
    const other = keywords.length;
    train = withRows(
      withRows(train, m.train),
      keywordReplay(data.train, other, m.train.n, round * h.maxClips),
    );
    val = withRows(withRows(val, m.val), keywordReplay(data.val, other, m.val.n, round * h.maxClips));
    const r = trainHybrid(
      model,
      { train, val },
      { ...VOICE_TRAIN_DEFAULTS, seed: o.seed + round + 1, ...o.train, epochs: h.epochs, lr: h.lr },
      onEpoch,
    );
    model = r.model;
  }
  return { model, rounds };
}
