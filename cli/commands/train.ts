import { join } from 'node:path';
import { VOICE_DEFAULTS } from '../../cloud/tasks/voice.js';
import { type ForecastResult, trainForecast } from '../../cloud/train/forecast.js';
import { JOB_FORMAT, preActivationSamples, writeDiscoveryJob } from '../../cloud/train/hunger.js';
import type { EpochRecord } from '../../cloud/train/trainer.js';
import { TRAINING_FILE, type TrainingRecord, trainingRecordJson } from '../../cloud/train/training-record.js';
import { trainVoice, type VoiceTrainResult } from '../../cloud/train/voice-train.js';
import { InputError } from '../../shared/errors.js';
import { type ActivationLibrary, loadLibrary } from '../../shared/library/library.js';
import { libraryEntryIndex } from '../../shared/model/init.js';
import { mixtureCurve } from '../../shared/model/mixture.js';
import type { HybridModel } from '../../shared/model/model.js';
import { saveModelDir } from '../../shared/model/store.js';
import {
  type Command,
  choiceFlag,
  type FlagValues,
  intFlag,
  JSON_FLAG,
  numberFlag,
  optionalString,
  stringFlag,
} from '../command.js';
import { progressBar } from '../progress.js';
import { COMMAND_SUMMARIES } from './summaries.js';

export const trainCommand: Command = {
  name: 'train',
  summary: COMMAND_SUMMARIES.train,
  usage:
    'train [--task forecast] --data FILE.csv --target COL --window W --horizon H --library classic|DIR [--activation NAME] [--hidden N] [--epochs E] [--seed S] --out DIR --json\n       train --task voice [--keywords yes,no,up,down] [--per-class N] [--other-multiple K] [--hard-negatives R] [--ensemble K [--ensemble-data fresh|shared]] [--accent-share P] [--calibrate-s S] --library classic|DIR [--activation NAME] [--hidden N] [--epochs E] [--seed S] --out DIR --json',
  flags: {
    task: {
      type: 'string',
      value: 'forecast|voice',
      description: 'a CSV forecast, or keyword spotting on espeak-ng words',
      default: 'forecast',
    },
    data: { type: 'string', value: 'FILE.csv', description: 'numeric CSV with a header row (forecast)' },
    target: { type: 'string', value: 'COL', description: 'column to forecast (forecast)' },
    inputs: {
      type: 'string',
      value: 'COLS',
      description: 'comma-separated input columns (default: the target)',
    },
    window: {
      type: 'string',
      value: 'W',
      description:
        'truncation length (forecast): training runs the series as a stream, state carried, and backpropagates through W steps at a time',
    },
    horizon: { type: 'string', value: 'H', description: 'steps ahead to forecast (forecast)' },
    keywords: {
      type: 'string',
      value: 'WORDS',
      description: 'comma-separated keywords (voice)',
      default: 'yes,no,up,down',
    },
    'per-class': {
      type: 'string',
      value: 'N',
      description: "utterances per class (voice; 'other' gets --other-multiple times as many in training)",
      default: '200',
    },
    'other-multiple': {
      type: 'string',
      value: 'K',
      description: "voice: 'other' utterances in training and validation, as a multiple of --per-class",
      default: String(VOICE_DEFAULTS.otherMultiple),
    },
    'hard-negatives': {
      type: 'string',
      value: 'R',
      description:
        "rounds of hard-negative mining (voice): clips the model takes for a keyword in 5 minutes of other words spoken by training voices join 'other', and training goes on",
      default: '0',
    },
    ensemble: {
      type: 'string',
      value: 'K',
      description:
        'voice: train K models from different seeds and merge them into one that averages their logits (K times the units; steadier on voices none of them heard)',
      default: '1',
    },
    'ensemble-data': {
      type: 'string',
      value: 'fresh|shared',
      description:
        "voice: what ensemble members after the first train on: new utterances of the training voices (fresh) or the first member's data (shared)",
      default: 'fresh',
    },
    'accent-share': {
      type: 'string',
      value: 'P',
      description:
        "voice: share (0-1) of training keyword utterances said with another English accent's vowel (the test keeps each voice's own)",
      default: '0.4',
    },
    'calibrate-s': {
      type: 'string',
      value: 'S',
      description:
        "voice: seconds of validation stream (voices and words training never heard) on which the detector's smoothing and threshold are chosen and stored for the device (the lowest miss rate at <= 2 false accepts per hour); 0 skips",
      default: '1800',
    },
    library: { type: 'string', value: 'classic|DIR', description: 'activation library', required: true },
    activation: {
      type: 'string',
      value: 'NAME',
      description:
        "train every layer with this library entry (e.g. tanh) instead of the selector's search and race: a fixed-activation baseline, one training run instead of several",
    },
    hidden: { type: 'string', value: 'N', description: 'units per layer (default: 16; voice: 32)' },
    epochs: { type: 'string', value: 'E', description: 'training epochs', default: '40' },
    seed: { type: 'string', value: 'S', description: 'random seed', default: '1' },
    out: { type: 'string', value: 'DIR', description: 'model directory to write', required: true },
    json: JSON_FLAG,
  },
  run(ctx) {
    const task = choiceFlag(ctx.flags, 'task', ['forecast', 'voice'] as const);
    const epochs = intFlag(ctx.flags, 'epochs', 1);
    const bar = progressBar(!ctx.json);
    const onEpoch = (e: EpochRecord) => bar.update(e.progress, `${e.run} val ${e.valLoss.toFixed(4)}`);
    const common = {
      library: loadLibrary(stringFlag(ctx.flags, 'library')),
      hidden: optionalString(ctx.flags, 'hidden')
        ? intFlag(ctx.flags, 'hidden', 1)
        : task === 'voice'
          ? 32
          : 16,
      seed: intFlag(ctx.flags, 'seed', 0),
      train: { epochs },
      activation: optionalString(ctx.flags, 'activation'),
    };
    // refused here, before minutes of data rendering, rather than when the first model is built
    if (common.activation !== undefined) libraryEntryIndex(common.library, common.activation);
    const out = stringFlag(ctx.flags, 'out');
    const trained =
      task === 'voice' ? trainVoiceRun(ctx.flags, common, onEpoch) : trainCsvRun(ctx.flags, common, onEpoch);
    bar.done();
    saveModelDir(out, trained.model, 'liquidkan train', {
      [TRAINING_FILE]: trainingRecordJson(trained.record),
    });
    const r = trained.result;
    const jobs: string[] = [];
    for (const h of r.hunger) {
      if (!h.hungry || !r.softModel) continue;
      const u = preActivationSamples(r.softModel, h.layer, r.data.train, 512);
      const phi = mixtureCurve(r.softModel, h.layer, u);
      const jobFile = join(out, `hunger-L${h.layer}.json`);
      writeDiscoveryJob(jobFile, {
        format: JOB_FORMAT,
        formatVersion: 1,
        task: trained.taskName,
        layer: h.layer,
        seed: r.model.seed,
        library: { version: r.softModel.library.version, hash: r.softModel.library.hash },
        reason: { entropy: h.entropy, gap: h.gap, bestSingle: h.bestSingle.name },
        samples: { u: Array.from(u), phi: Array.from(phi) },
      });
      jobs.push(jobFile);
    }
    const summary = {
      out,
      task,
      ...trained.figures,
      selection: r.selection,
      hunger: r.hunger.map((h) => ({
        layer: h.layer,
        entropy: h.entropy,
        gap: h.gap,
        best_single: h.bestSingle.name,
        hungry: h.hungry,
      })),
      discovery_jobs: jobs,
      race: r.standings.map((c) => ({
        configuration: c.label,
        val_loss: c.diverged ? null : c.valLoss,
        epochs: c.epochs,
        ...(c.diverged ? { diverged: true } : {}),
      })),
      race_decision: r.decision && {
        challenger: r.decision.challenger,
        z_score: r.decision.zScore,
        shipped: r.decision.shipped,
      },
      epochs_run: r.history.length,
      library_version: r.model.library.version,
    };
    if (ctx.json) {
      ctx.stdout(JSON.stringify(summary));
      return;
    }
    ctx.info(`wrote ${out}`);
    ctx.info(trained.headline);
    ctx.info(`selection: ${r.selection.map((s) => `L${s.layer} ${s.kind} ${s.name}`).join(', ')}`);
    const [winner] = r.standings;
    if (winner) ctx.info(`race: ${winner.label} led ${r.standings.length} configurations`);
    if (r.decision && !r.decision.shipped) {
      ctx.info(
        `  it beat tanh by ${r.decision.zScore.toFixed(1)} standard errors on validation, not enough: tanh ships`,
      );
    }
    for (const h of r.hunger) {
      ctx.info(
        `hunger L${h.layer}: entropy ${h.entropy.toFixed(2)}, gap ${h.gap.toFixed(3)}${h.hungry ? ' → discovery job' : ''}`,
      );
    }
  },
};

interface CommonTrain {
  readonly library: ActivationLibrary;
  readonly hidden: number;
  readonly seed: number;
  readonly train: { epochs: number };
  readonly activation: string | undefined;
}

/** What either task hands back to the shared part of the command. */
interface TrainedRun {
  readonly result: ForecastResult | VoiceTrainResult;
  readonly model: HybridModel;
  readonly record: TrainingRecord;
  readonly taskName: string;
  /** Task-specific fields of the JSON summary. */
  readonly figures: Record<string, number | readonly string[]>;
  readonly headline: string;
}

function trainCsvRun(flags: FlagValues, common: CommonTrain, onEpoch: (e: EpochRecord) => void): TrainedRun {
  for (const name of ['data', 'target', 'window', 'horizon']) {
    if (optionalString(flags, name) === undefined)
      throw new InputError(`--${name} is required for --task forecast`);
  }
  const file = stringFlag(flags, 'data');
  const target = stringFlag(flags, 'target');
  const inputs = optionalString(flags, 'inputs')
    ?.split(',')
    .map((s) => s.trim());
  const window = intFlag(flags, 'window', 1);
  const horizon = intFlag(flags, 'horizon', 1);
  const r = trainForecast(
    { ...common, file, target, ...(inputs ? { inputs } : {}), window, horizon },
    onEpoch,
  );
  return {
    result: r,
    model: r.model,
    taskName: file.replace(/^.*\//, ''),
    record: {
      task: 'forecast',
      data: file,
      target,
      inputs: inputs ?? [target],
      window,
      horizon,
      seed: common.seed,
      testMse: r.testMse,
      persistenceMse: r.persistenceMse,
    },
    // streaming figures: test on label rows [test_from_row, rows), the state warmed on all before
    figures: {
      test_mse: r.testMse,
      val_mse: r.valMse,
      baseline_persistence_mse: r.persistenceMse,
      val_from_row: r.data.split.valStart,
      test_from_row: r.data.split.testStart,
    },
    headline: `test MSE ${r.testMse.toPrecision(4)} (persistence ${r.persistenceMse.toPrecision(4)})`,
  };
}

function trainVoiceRun(
  flags: FlagValues,
  common: CommonTrain,
  onEpoch: (e: EpochRecord) => void,
): TrainedRun {
  const keywords = stringFlag(flags, 'keywords')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const perClass = intFlag(flags, 'per-class', 5);
  const otherMultiple = intFlag(flags, 'other-multiple', 1);
  const rounds = intFlag(flags, 'hard-negatives', 0);
  const ensemble = intFlag(flags, 'ensemble', 1);
  const ensembleData = choiceFlag(flags, 'ensemble-data', ['fresh', 'shared'] as const);
  const calibrationS = intFlag(flags, 'calibrate-s', 0);
  const accentShare = numberFlag(flags, 'accent-share');
  if (!(accentShare >= 0 && accentShare <= 1))
    throw new InputError(`--accent-share must be from 0 to 1, got ${stringFlag(flags, 'accent-share')}`);
  const r = trainVoice(
    {
      ...common,
      task: { keywords, perClass, otherMultiple, accentShare },
      hardNegatives: { rounds },
      ensemble,
      ensembleData,
      calibrationS,
    },
    onEpoch,
  );
  return {
    result: r,
    model: r.model,
    taskName: 'voice',
    record: {
      task: 'classify',
      data: 'voice',
      classes: [...r.classes],
      keywords,
      perClass,
      otherMultiple,
      accentShare,
      seed: common.seed,
      testAccuracy: r.testAccuracy,
      ...(r.detector ? { detector: r.detector } : {}),
    },
    figures: {
      test_error_rate: r.testErrorRate,
      test_accuracy: r.testAccuracy,
      seen_voice_accuracy: r.seenVoiceAccuracy,
      unseen_voice_accuracy: r.unseenVoiceAccuracy,
      train_accuracy: r.trainAccuracy,
      classes: r.classes,
      hard_negatives_mined: r.mining.reduce((n, m) => n + m.kept, 0),
      ensemble_members: r.members,
      ...(r.detector
        ? {
            detector_threshold: r.detector.threshold,
            detector_smooth_clips: r.detector.smoothClips,
            detector_validation_miss_rate: r.detector.validation.missRate,
            detector_validation_false_accepts_per_hour: r.detector.validation.falseAcceptsPerHour,
          }
        : {}),
    },
    headline: `test accuracy ${r.testAccuracy.toFixed(3)} (training voices in silence ${r.seenVoiceAccuracy.toFixed(3)}, unseen voices in light noise ${r.unseenVoiceAccuracy.toFixed(3)}; chance ${(1 / r.classes.length).toFixed(3)}) over ${r.classes.join(', ')}${r.detector ? `; detector ${r.detector.threshold} over ${r.detector.smoothClips} clips (validation stream: ${(100 * r.detector.validation.missRate).toFixed(1)} % misses, ${r.detector.validation.falseAcceptsPerHour.toFixed(0)} false accepts/h)` : ''}`,
  };
}
