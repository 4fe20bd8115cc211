/**
 * Keyword spotting from synthetic speech: each class is a keyword spoken by espeak-ng with a
 * random voice, speed and pitch, placed in a 1 s clip with a small time shift and passed through
 * a random channel (voice-augment.ts: room, gain, noise down to 0 dB SNR or none at all, DC,
 * clipping); the last class, 'other', holds other words, background noise and digital silence.
 * Clips become [steps, dim] level-free feature sequences (shared/audio/clip.ts VOICE_CLIP),
 * standardised per feature with training statistics.
 *
 * Speaker-independent evaluation (issue 18): training and validation use the training speakers
 * (base voices × variants); two test sets hold utterances no training clip contains:
 *   - seen:   training speakers, new utterances, in digital silence at a random gain;
 *   - unseen: speakers training never heard (other base voices, other variants), light noise.
 * `test` is both together (the export's test error), and each is reported on its own.
 * A share of training and validation keyword utterances is said with another accent's vowel
 * (voice-pronunciations.ts); the test sets keep each voice's own pronunciation.
 *
 * Everything random is drawn from a seeded Rng forked per split, class and utterance, so a seed
 * reproduces the data set exactly. Rendered words are cached on disk (voice-render.ts).
 *
 * Returns the trainer's shapes: x [n, steps, dim], one-hot y [n, classes].
 */
import { type ClipConfig, clipFeatures, clipShape, VOICE_CLIP } from '../../shared/audio/clip.js';
import type { FeatureConfig } from '../../shared/audio/features.js';
import { resample } from '../../shared/audio/resample.js';
import { InputError } from '../../shared/errors.js';
import { Rng } from '../../shared/numeric/rng.js';
import type { Standardizer, WindowSet } from '../train/windows.js';
import {
  addNoise,
  applyChannel,
  CHANNEL_DEFAULTS,
  type Channel,
  type ChannelRanges,
  DRY,
  drawChannel,
} from './voice-augment.js';
import { mixWord, partialWord } from './voice-mix.js';
import { accentPronunciations } from './voice-pronunciations.js';
import { defaultVoiceCacheDir, type SpeechParams, speechAudio, speechCachePath } from './voice-render.js';
import { OTHER_WORDS } from './voice-words.js';

export { OTHER_WORDS, VOICE_CLIP };

export interface VoiceTaskOptions {
  readonly seed: number;
  /** @defaultValue ['yes', 'no', 'up', 'down', 'stop', 'go'] */
  readonly keywords: readonly string[];
  /** Words for the 'other' class. @defaultValue OTHER_WORDS less the keywords */
  readonly otherWords: readonly string[];
  /** Utterances per class over training, validation and the seen-speaker test. @defaultValue 60 */
  readonly perClass: number;
  /**
   * 'other' gets this many times perClass clips in training and validation: it stands for every
   * word that is not a keyword, and a keyword spotter is judged on how rarely it fires on those.
   * @defaultValue 3
   */
  readonly otherMultiple: number;
  /** Share of 'other' clips without a word (background noise or digital silence). @defaultValue 0.2 */
  readonly noiseShare: number;
  /**
   * Share of 'other' clips holding only the start or end of a word (a keyword or not), cut by
   * the clip's edge: a sliding window sees every word enter and leave, and must not fire on a
   * keyword's first syllable. @defaultValue 0.3
   */
  readonly partialShare: number;
  /**
   * Share of training and validation utterances of a word in ACCENT_PRONUNCIATIONS (whole or cut)
   * said with one of its accent variants instead of the voice's own pronunciation; test splits
   * always use the voice's own. 0 gives the data of earlier versions. @defaultValue 0.4
   */
  readonly accentShare: number;
  /** Training speakers: espeak-ng base voices. @defaultValue en, en-us, en-gb-scotland, en-029, en-gb-x-rp, en-us-nyc */
  readonly voices: readonly string[];
  /** Training speakers: variants appended as voice+variant; '' is the plain voice. @defaultValue TRAINING_VARIANTS */
  readonly variants: readonly string[];
  /** Test-only base voices. @defaultValue en-gb-x-gbclan (Lancaster), en-gb-x-gbcwmd (West Midlands) */
  readonly unseenVoices: readonly string[];
  /** Test-only variants. @defaultValue m2, f3, f5, croak, m5 */
  readonly unseenVariants: readonly string[];
  /** [min, max] words per minute. @defaultValue [130, 210] */
  readonly speedWpm: readonly [number, number];
  /** [min, max] espeak pitch. @defaultValue [25, 75] */
  readonly pitch: readonly [number, number];
  /** What training and validation clips go through. @defaultValue CHANNEL_DEFAULTS */
  readonly channel: ChannelRanges;
  /** SNR of the unseen-speaker test's light white noise, dB. @defaultValue [20, 30] */
  readonly lightSnrDb: readonly [number, number];
  /**
   * Largest time shift from centred, in ms (a word never leaves the clip). A stream's word is
   * seen whole by several clips a hop apart; a model trained on centred words alone is sure of it
   * in one or two of them, too few for smoothing over hops. @defaultValue 300
   */
  readonly shiftMs: number;
  /** @defaultValue 0.6, 0.2 (the rest is the seen-speaker test; the unseen test is as large) */
  readonly trainFraction: number;
  readonly valFraction: number;
  readonly clip: ClipConfig;
  /** @defaultValue <os tmpdir>/liquidkan-voice-cache */
  readonly cacheDir?: string;
  /** Keep the test clips' audio (VoiceData.testAudio), e.g. to play them to a device. @defaultValue false */
  readonly keepTestAudio?: boolean;
}

/** espeak-ng variants of the training speakers (none of them in the unseen-speaker test). */
export const TRAINING_VARIANTS: readonly string[] = Object.freeze(
  (
    ' m1 m3 m4 m6 m7 m8 f1 f2 f4 klatt klatt2 klatt3 Andy Annie Denis Gene Jacky Lee Michael anika ' +
    'aunty boris david ed grandma john linda max paul steph quincy rob'
  ).split(' '),
);

export const VOICE_DEFAULTS: Readonly<Omit<VoiceTaskOptions, 'seed'>> = Object.freeze({
  keywords: ['yes', 'no', 'up', 'down', 'stop', 'go'],
  otherWords: OTHER_WORDS,
  perClass: 60,
  otherMultiple: 3,
  noiseShare: 0.2,
  partialShare: 0.3,
  accentShare: 0.4,
  voices: ['en', 'en-us', 'en-gb-scotland', 'en-029', 'en-gb-x-rp', 'en-us-nyc'],
  variants: TRAINING_VARIANTS,
  unseenVoices: ['en-gb-x-gbclan', 'en-gb-x-gbcwmd'],
  unseenVariants: ['m2', 'f3', 'f5', 'croak', 'm5'],
  speedWpm: [130, 210] as const,
  pitch: [25, 75] as const,
  channel: CHANNEL_DEFAULTS,
  lightSnrDb: [20, 30] as const,
  shiftMs: 300,
  trainFraction: 0.6,
  valFraction: 0.2,
  clip: VOICE_CLIP,
});

export const OTHER_CLASS = 'other';

export interface VoiceData {
  readonly train: WindowSet;
  readonly val: WindowSet;
  /** The seen- and unseen-speaker tests together. */
  readonly test: WindowSet;
  /** Training speakers, new utterances, digital silence, random gain. */
  readonly testSeen: WindowSet;
  /** Speakers training never heard, light noise, random gain. */
  readonly testUnseen: WindowSet;
  /** keywords…, then 'other'; the index is the one-hot position. */
  readonly classes: readonly string[];
  readonly clip: ClipConfig;
  readonly features: FeatureConfig;
  /** Per feature, from the training clips; apply to device features with standardize(). */
  readonly inputScaling: Standardizer;
  /** The test clips' samples at the feature rate, in row order, when asked for (keepTestAudio). */
  readonly testAudio?: { readonly seen: readonly Float32Array[]; readonly unseen: readonly Float32Array[] };
  /** Each row's espeak-ng speaker (null: a clip without a word), per split, in row order. */
  readonly speakers: Readonly<Record<SplitPlan['name'], readonly (string | null)[]>>;
}

/** [steps, dim] features of mono audio at any rate: resample to the feature rate, then clip.ts. */
export function voiceFeatures(
  samples: ArrayLike<number>,
  sampleRate: number,
  clip: ClipConfig = VOICE_CLIP,
  scaling?: Standardizer,
): Float64Array {
  const x = resample(samples, sampleRate, clip.features.sampleRate);
  const f = clipFeatures(x, clip);
  return scaling ? standardize(f, scaling) : f;
}

/** (x − mean) / std per feature, in place, for [.., dim] rows. */
export function standardize(x: Float64Array, s: Standardizer): Float64Array {
  const dim = s.mean.length;
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - s.mean[i % dim]!) / s.std[i % dim]!;
  return x;
}

/** Rendered words at the feature rate, resampled once per rendering and kept for one data set. */
export class WordBank {
  private readonly words = new Map<string, Float32Array>();
  constructor(
    readonly sampleRate: number,
    readonly cacheDir = defaultVoiceCacheDir(),
  ) {}

  get(p: SpeechParams): Float32Array {
    const key = speechCachePath(p, this.cacheDir);
    let w = this.words.get(key);
    if (!w) {
      const a = speechAudio(p, this.cacheDir);
      w = resample(a.samples, a.sampleRate, this.sampleRate);
      this.words.set(key, w);
    }
    return w;
  }
}

/** One word rendered by espeak-ng (clean, centred), as [steps, dim] features. */
export function renderWordFeatures(
  p: SpeechParams,
  clip: ClipConfig = VOICE_CLIP,
  scaling?: Standardizer,
  cacheDir = defaultVoiceCacheDir(),
): Float64Array {
  const a = speechAudio(p, cacheDir);
  const placed = mixWord(
    a.samples,
    { clipSamples: a.samples.length, shiftSamples: 0, snrDb: Infinity, peak: 0.8 },
    new Rng(0),
  );
  return voiceFeatures(placed, a.sampleRate, clip, scaling);
}

/** Which speakers and channels a split draws from. */
interface SplitPlan {
  readonly name: 'train' | 'val' | 'seen' | 'unseen';
  readonly count: number;
  readonly speaker: (rng: Rng) => string;
  readonly channel: (rng: Rng) => Channel;
}

const pick = <T>(xs: readonly T[], rng: Rng): T => xs[rng.int(xs.length)]!;

/** A word-free 'other' clip: background noise at a random level, or digital silence. */
function backgroundClip(samples: number, rng: Rng): Float32Array {
  const x = new Float32Array(samples);
  const kind = rng.int(3);
  if (kind === 0) return x;
  return addNoise(x, 10 ** rng.uniform(-4, -1.3), kind === 1 ? 'white' : 'brown', rng);
}

/** What an 'other' clip holds. */
type OtherContent = { readonly kind: 'word' | 'partial'; readonly word: string } | { readonly kind: 'none' };

/** One clip at the feature rate, [clipSamples], through its split's channel. */
function makeClip(o: VoiceTaskOptions, plan: SplitPlan, content: OtherContent, rng: Rng, bank: WordBank) {
  const rate = bank.sampleRate;
  const clipSamples = Math.round((rate * o.clip.clipMs) / 1000);
  const channel = plan.channel(rng);
  if (content.kind === 'none') {
    const x = backgroundClip(clipSamples, rng);
    return { speaker: null, samples: applyChannel(x, { ...channel, snrDb: Infinity }, rate, rng) };
  }
  const word = content.word;
  const p: SpeechParams = {
    word,
    voice: plan.speaker(rng),
    speedWpm: Math.round(rng.uniform(o.speedWpm[0], o.speedWpm[1])),
    pitch: Math.round(rng.uniform(o.pitch[0], o.pitch[1])),
    ...accentVariant(o, plan, word, rng),
  };
  if (content.kind === 'partial') {
    const cut = partialWord(bank.get(p), clipSamples, rng.uniform(0.15, 0.5), rng.next() < 0.5, 0.1);
    return { speaker: p.voice, samples: applyChannel(cut, channel, rate, rng) };
  }
  const placed = mixWord(
    bank.get(p),
    {
      clipSamples,
      shiftSamples: (rng.uniform(-1, 1) * o.shiftMs * rate) / 1000,
      snrDb: Infinity,
      peak: 0.1,
    },
    rng,
  );
  return { speaker: p.voice, samples: applyChannel(placed, channel, rate, rng) };
}

/** Phonemes for an accent variant of `word`, or nothing (the voice's own); draws only where one may come. */
function accentVariant(o: VoiceTaskOptions, plan: SplitPlan, word: string, rng: Rng): { phonemes?: string } {
  const variants = accentPronunciations(word);
  if (o.accentShare <= 0 || variants.length === 0 || (plan.name !== 'train' && plan.name !== 'val'))
    return {};
  return rng.next() < o.accentShare ? { phonemes: pick(variants, rng) } : {};
}

/** A keyword clip's word, or what an 'other' clip holds (keyword === null). */
function otherContent(o: VoiceTaskOptions, keyword: string | null, rng: Rng): OtherContent {
  if (keyword !== null) return { kind: 'word', word: keyword };
  const u = rng.next();
  if (u < o.noiseShare) return { kind: 'none' };
  if (u < o.noiseShare + o.partialShare) {
    const any = rng.int(o.keywords.length + o.otherWords.length);
    return {
      kind: 'partial',
      word: any < o.keywords.length ? o.keywords[any]! : o.otherWords[any - o.keywords.length]!,
    };
  }
  return { kind: 'word', word: pick(o.otherWords, rng) };
}

function plans(o: VoiceTaskOptions, nTrain: number, nVal: number, nTest: number): SplitPlan[] {
  const speaker = (voices: readonly string[], variants: readonly string[]) => (rng: Rng) => {
    const base = pick(voices, rng);
    const variant = pick(variants, rng);
    return variant ? `${base}+${variant}` : base;
  };
  const seen = speaker(o.voices, o.variants);
  // unseen: a new base voice (plain or with a new variant), or a known voice with a new variant
  const newVoice = speaker(o.unseenVoices, ['', ...o.unseenVariants]);
  const newVariant = speaker(o.voices, o.unseenVariants);
  const unseen = (rng: Rng) => (rng.next() < 0.5 ? newVoice(rng) : newVariant(rng));
  const augmented = (rng: Rng) => drawChannel(o.channel, rng);
  const gainOnly = (rng: Rng): Channel => ({ ...DRY, gainDb: rng.uniform(-20, 20) });
  const lightNoise = (rng: Rng): Channel => ({
    ...DRY,
    gainDb: rng.uniform(-20, 20),
    snrDb: rng.uniform(o.lightSnrDb[0], o.lightSnrDb[1]),
  });
  return [
    { name: 'train', count: nTrain, speaker: seen, channel: augmented },
    { name: 'val', count: nVal, speaker: seen, channel: augmented },
    { name: 'seen', count: nTest, speaker: seen, channel: gainOnly },
    { name: 'unseen', count: nTest, speaker: unseen, channel: lightNoise },
  ];
}

function checkOptions(o: VoiceTaskOptions): void {
  if (o.keywords.length < 1) throw new InputError('voice task needs at least one keyword');
  if (o.keywords.some((k) => o.otherWords.includes(k))) {
    throw new InputError(`voice otherWords must not contain a keyword (keywords: ${o.keywords.join(', ')})`);
  }
  const heard = o.unseenVoices.filter((v) => o.voices.includes(v));
  const heardVariants = o.unseenVariants.filter((v) => o.variants.includes(v));
  if (heard.length || heardVariants.length) {
    throw new InputError(
      `voice unseenVoices/unseenVariants must not be training speakers (both lists hold ${[...heard, ...heardVariants].join(', ')})`,
    );
  }
}

/**
 * Build the data set; renders (or reuses) every utterance of every split. Features are
 * standardised with the training split's own mean and deviation, or with `scaling` (an ensemble
 * member drawing new utterances must see its inputs as the merged model will).
 */
export function voiceDataset(
  options: Partial<VoiceTaskOptions> & { seed: number },
  scaling?: Standardizer,
): VoiceData {
  const keywords = options.keywords ?? VOICE_DEFAULTS.keywords;
  const o: VoiceTaskOptions = {
    ...VOICE_DEFAULTS,
    otherWords: VOICE_DEFAULTS.otherWords.filter((w) => !keywords.includes(w)),
    ...options,
  };
  if (!(o.accentShare >= 0 && o.accentShare <= 1))
    throw new InputError(`voice accentShare must be in 0–1, got ${o.accentShare}`);
  if (!(Number.isInteger(o.otherMultiple) && o.otherMultiple >= 1))
    throw new InputError(`voice otherMultiple must be a whole number ≥ 1, got ${o.otherMultiple}`);
  checkOptions(o);
  const nTrain = Math.floor(o.perClass * o.trainFraction);
  const nVal = Math.floor(o.perClass * o.valFraction);
  const nTest = o.perClass - nTrain - nVal;
  if (nTrain < 1 || nVal < 1 || nTest < 1) {
    throw new InputError(`voice perClass ${o.perClass} leaves an empty train, validation or test split`);
  }
  const classes = [...o.keywords, OTHER_CLASS];
  const C = classes.length;
  const { steps, dim } = clipShape(o.clip);
  const per = steps * dim;
  const bank = new WordBank(o.clip.features.sampleRate, o.cacheDir ?? defaultVoiceCacheDir());
  const root = new Rng(o.seed);
  const speakers = { train: [], val: [], seen: [], unseen: [] } as Record<
    SplitPlan['name'],
    (string | null)[]
  >;
  const audio = { seen: [] as Float32Array[], unseen: [] as Float32Array[] };
  const sets = plans(o, nTrain, nVal, nTest).map((plan) => {
    // the test sets stay balanced, so their accuracy weighs every class alike
    const K = C - 1 + (plan.name === 'train' || plan.name === 'val' ? o.otherMultiple : 1);
    const n = K * plan.count;
    const x = new Float64Array(n * per);
    const y = new Float64Array(n * C);
    let r = 0;
    for (let i = 0; i < plan.count; i++) {
      for (let k = 0; k < K; k++, r++) {
        const c = Math.min(k, C - 1);
        const rng = root.fork(`${plan.name}/${classes[c]}/${i}${k >= C ? `/${k - C + 1}` : ''}`);
        const clip = makeClip(o, plan, otherContent(o, c === C - 1 ? null : classes[c]!, rng), rng, bank);
        speakers[plan.name].push(clip.speaker);
        if (o.keepTestAudio && (plan.name === 'seen' || plan.name === 'unseen'))
          audio[plan.name].push(clip.samples);
        x.set(clipFeatures(clip.samples, o.clip), r * per);
        y[r * C + c] = 1;
      }
    }
    return { x, y, last: new Float64Array(n), n, window: steps, inputs: dim, outputs: C } as WindowSet;
  });
  const [train, val, testSeen, testUnseen] = sets as [WindowSet, WindowSet, WindowSet, WindowSet];
  const inputScaling = scaling ?? featureScaling(train, dim);
  for (const s of sets) standardize(s.x as Float64Array, inputScaling);
  return {
    train,
    val,
    test: concatSets(testSeen, testUnseen),
    testSeen,
    testUnseen,
    classes,
    clip: o.clip,
    features: o.clip.features,
    inputScaling,
    speakers,
    ...(o.keepTestAudio ? { testAudio: audio } : {}),
  };
}

/** Per-feature mean and standard deviation over every step of every clip of `set`. */
function featureScaling(set: WindowSet, dim: number): Standardizer {
  const mean = new Array<number>(dim).fill(0);
  const sq = new Array<number>(dim).fill(0);
  for (let k = 0; k < set.x.length; k++) {
    mean[k % dim]! += set.x[k]!;
    sq[k % dim]! += set.x[k]! ** 2;
  }
  const count = set.x.length / dim;
  return {
    mean: mean.map((s) => s / count),
    std: sq.map((q, d) => Math.sqrt(Math.max(q / count - (mean[d]! / count) ** 2, 1e-12))),
  };
}

/** Two window sets of the same shape, rows of `a` then rows of `b`. */
export function concatSets(a: WindowSet, b: WindowSet): WindowSet {
  const x = new Float64Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  const y = new Float64Array(a.y.length + b.y.length);
  y.set(a.y);
  y.set(b.y, a.y.length);
  return { ...a, x, y, last: new Float64Array(a.n + b.n), n: a.n + b.n };
}
