/**
 * Keyword spotting from spoken words (issue 4, item 3): the espeak-ng data set of
 * cloud/tasks/voice.ts, a hybrid trained with cross-entropy on standardised log-mel clips, and a
 * model that takes raw features (its input scaling holds the training statistics), so the device
 * feeds it what its WAV adapter computes. Test error is the error rate on held-out utterances,
 * also reported per test set: training speakers in silence, and speakers training never heard.
 */
import { DEVICE_CLIP_HOP_MS } from '../../shared/audio/clip-stream.js';
import { InputError } from '../../shared/errors.js';
import type { ActivationLibrary } from '../../shared/library/library.js';
import { initModel } from '../../shared/model/init.js';
import { type HybridModel, param } from '../../shared/model/model.js';
import type { DetectorSetting } from '../../shared/types/manifest.js';
import {
  OTHER_WORDS,
  VOICE_DEFAULTS,
  type VoiceData,
  type VoiceTaskOptions,
  voiceDataset,
} from '../tasks/voice.js';
import { chooseDetector, clipTrack } from '../tasks/voice-metrics.js';
import { keywordStream, streamSpeakers, VALIDATION_STREAM_SEED } from '../tasks/voice-stream.js';
import { mergeEnsemble } from './ensemble.js';
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
import type { WindowSet } from './windows.js';

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
  /**
   * Models trained from different seeds (on data as ensembleData says) and merged into one that averages
   * their logits (ensemble.ts): K times the units and the step cost (bootstrap draws of the
   * training rows made weaker members: 41.9 % stream misses against 28.1 % for 4 × 300). Members after the first
   * start hard on the first one's chosen entries and affines, with the liquid layers' output
   * scale and shift kept there (the one part of an affine a merge cannot fold away), and the
   * first keeps its own through mining. @defaultValue 1
   */
  readonly ensemble?: number;
  /**
   * What an ensemble's members after the first train on: 'fresh', new utterances of the same
   * training speakers (a data seed of their own, the first member's feature scaling), or
   * 'shared', the first member's data. @defaultValue 'fresh'
   */
  readonly ensembleData?: 'fresh' | 'shared';
  /**
   * Seconds of validation stream (voices neither training nor the test uses, words training
   * never heard) on which the detector's smoothing and threshold are chosen, stored with the
   * model for the device; 0 skips it. Half an hour: in 10 minutes one false accept is already
   * 6 per hour, so a 10-minute stream cannot tell a threshold that meets 2 per hour from one that
   * does not. @defaultValue 1800
   */
  readonly calibrationS?: number;
}

/** One mining round: clips scored on the non-keyword stream, how many reached the bar, kept. */
export interface MiningRound {
  readonly round: number;
  readonly scored: number;
  readonly found: number;
  readonly kept: number;
  /** Of the kept clips, those holding a whole keyword the model scored low (0 without keywords in the stream). */
  readonly positives: number;
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
  /** Models merged into `model` (1: a single model). */
  readonly members: number;
  /** The detector setting chosen on the validation stream (null: calibrationS 0). */
  readonly detector: DetectorSetting | null;
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
  const K = o.ensemble ?? 1;
  if (!(Number.isInteger(K) && K >= 1)) throw new InputError(`ensemble must be a whole number ≥ 1, got ${K}`);
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
  const members: ReturnType<typeof trainMember>[] = [];
  const dataSeed = o.task?.seed ?? o.seed;
  for (let k = 0; k < K; k++) {
    // the first member's seed is the run's, so a single model trains as it always did
    const seed = o.seed + 7919 * k;
    const own =
      k > 0 && (o.ensembleData ?? 'fresh') === 'fresh'
        ? voiceDataset({ ...o.task, seed: dataSeed + 7919 * k }, data.inputScaling)
        : data;
    members.push(trainMember(o, own, seed, K > 1, members[0]?.unmined ?? null, withScaling, onEpoch));
  }
  const first = members[0]!;
  const model = mergeEnsemble(members.map((m) => m.model));
  const trained = withScaling(model);
  const testAccuracy = accuracy(model, data.test);
  const detector = calibrateDetector(trained, data, o);
  return {
    model: recordUsage(trained, 'voice'),
    classes: data.classes,
    testAccuracy,
    seenVoiceAccuracy: accuracy(model, data.testSeen),
    unseenVoiceAccuracy: accuracy(model, data.testUnseen),
    trainAccuracy: accuracy(model, data.train),
    testErrorRate: 1 - testAccuracy,
    selection: selectionOf(first.unmined),
    hunger: first.r.hunger,
    standings: first.r.standings,
    decision: first.r.decision,
    history: first.r.history,
    softModel: first.r.softModel,
    data,
    mining: members.flatMap((m) => m.rounds),
    unminedModel: first.rounds.length
      ? recordUsage(withScaling(mergeEnsemble(members.map((m) => m.unmined))), 'voice')
      : null,
    members: K,
    detector,
  };
}

/** `m` with `from`'s affine tensors (the same layers and candidates). */
function withAffinesOf(m: HybridModel, from: HybridModel): HybridModel {
  const params = new Map(m.params);
  for (let i = 0; i < m.layers.length; i++) params.set(`L${i}.affine`, param(from, `L${i}.affine`).slice());
  return { ...m, params };
}

/**
 * The detector setting with the lowest miss rate at ≤ 2 false accepts per hour on a validation
 * stream (voice-metrics.ts chooseDetector), scored as the device scores: a clip every 100 ms.
 */
export function calibrateDetector(
  model: HybridModel,
  data: VoiceData,
  o: Pick<VoiceTrainOptions, 'calibrationS' | 'task'>,
): DetectorSetting | null {
  const seconds = o.calibrationS ?? 1800;
  if (!(seconds >= 0)) throw new InputError(`calibration seconds must be ≥ 0, got ${seconds}`);
  if (seconds === 0) return null;
  const task = { ...VOICE_DEFAULTS, ...o.task };
  const stream = keywordStream({
    seed: VALIDATION_STREAM_SEED,
    keywords: data.classes.slice(0, -1),
    durationS: seconds,
    speakers: streamSpeakers('validation', task),
    sampleRate: data.features.sampleRate,
    ...(task.cacheDir ? { cacheDir: task.cacheDir } : {}),
  });
  const track = clipTrack(model, stream.samples, DEVICE_CLIP_HOP_MS);
  const c = chooseDetector(track, data.classes, stream.events, stream.durationS);
  return {
    threshold: c.threshold,
    smoothClips: c.smoothClips,
    hopMs: DEVICE_CLIP_HOP_MS,
    validation: {
      seconds: stream.durationS,
      keywords: c.score.keywords,
      missRate: c.score.missRate,
      falseAcceptsPerHour: c.score.falseAcceptsPerHour,
    },
  };
}

/**
 * One model: trained, then mined. `first` (an ensemble's first member, trained, before mining)
 * fixes the activations of the members after it, and starts their affines.
 */
function trainMember(
  o: VoiceTrainOptions,
  data: VoiceData,
  seed: number,
  inEnsemble: boolean,
  first: HybridModel | null,
  withScaling: (m: HybridModel) => HybridModel,
  onEpoch?: (r: EpochRecord) => void,
) {
  const init = initModel({
    library: o.library,
    inputs: data.train.inputs,
    hidden: o.hidden ?? 32,
    outputs: data.classes.length,
    seed,
    ...(o.activation ? { activation: o.activation } : {}),
  });
  // after the first member: its chosen activations and affines, the liquid layers' output kept
  const initial = first ? withAffinesOf({ ...init, layers: first.layers }, first) : init;
  const train: Partial<TrainOptions> = { ...o.train, ...(first ? { freezeAffine: 'liquid-output' } : {}) };
  const r = trainHybrid(initial, data, { ...VOICE_TRAIN_DEFAULTS, ...train, seed }, onEpoch);
  // mining keeps the first member's liquid output too: the others were started from it
  const mining: Partial<TrainOptions> = inEnsemble ? { ...train, freezeAffine: 'liquid-output' } : train;
  const mined = mineAndRetrain({ ...o, seed, train: mining }, data, r.model, withScaling, onEpoch);
  return { r, unmined: r.model, model: mined.model, rounds: mined.rounds };
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
      keywordShare: h.keywordShare,
      fillerWords: otherWords,
      speakers: streamSpeakers('training', task),
      durationS: h.streamS,
      sampleRate: data.features.sampleRate,
      ...(task.cacheDir ? { cacheDir: task.cacheDir } : {}),
    });
    const events = stream.events.map((e) => ({
      start: e.start,
      end: e.end,
      keyword: e.keyword ? keywords.indexOf(e.word) : null,
    }));
    const m = mineHardNegatives(
      withScaling(model),
      stream.samples,
      data.inputScaling,
      keywords.length,
      h,
      events,
    );
    rounds.push({
      round,
      scored: m.scored,
      found: m.found,
      kept: m.train.n + m.val.n,
      positives: m.positives,
      seenVoiceAccuracyBefore: accuracy(model, data.testSeen),
      unseenVoiceAccuracyBefore: accuracy(model, data.testUnseen),
    });
    if (m.train.n + m.val.n === 0) break;
    const other = keywords.length;
    // as many keyword rows as 'other' ones come in, the mined keywords counted first
    const replay = (mined: WindowSet) => {
      let others = 0;
      for (let r = 0; r < mined.n; r++) others += mined.y[r * mined.outputs + other]!;
      return Math.max(0, 2 * others - mined.n);
    };
    train = withRows(
      withRows(train, m.train),
      keywordReplay(data.train, other, replay(m.train), round * h.maxClips),
    );
    val = withRows(withRows(val, m.val), keywordReplay(data.val, other, replay(m.val), round * h.maxClips));
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
