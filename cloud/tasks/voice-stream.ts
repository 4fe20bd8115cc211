/**
 * A long synthetic listening stream for keyword-spotting metrics (issue 18): spoken words one
 * after another with pauses between them, some of them keywords and the rest other speech, over
 * a background that changes level every `segmentS` seconds (digital silence, then quiet to loud
 * noise). Each word's time is known, so detections can be scored as a keyword spotter is: miss
 * rate over the keywords, false accepts per hour over everything else (voice-metrics.ts).
 *
 * The words other than keywords default to words the training set's 'other' class never holds
 * (FILLER_WORDS), and the speakers to every training and test-only voice, so the stream is
 * audio the model has not heard. Seeded: a seed reproduces the stream sample for sample.
 */
import { Rng } from '../../shared/numeric/rng.js';
import { VOICE_DEFAULTS, type VoiceTaskOptions, WordBank } from './voice.js';
import { type NoiseColour, power } from './voice-augment.js';
import { activeRange } from './voice-mix.js';
import { FILLER_WORDS } from './voice-words.js';

export { FILLER_WORDS };

export interface KeywordStreamOptions {
  readonly seed: number;
  /** @defaultValue 600 */
  readonly durationS: number;
  readonly keywords: readonly string[];
  /** @defaultValue FILLER_WORDS */
  readonly fillerWords: readonly string[];
  /** Share of words that are keywords. @defaultValue 0.4 */
  readonly keywordShare: number;
  /** Speakers as espeak-ng voice names (voice or voice+variant). @defaultValue every training and test-only speaker */
  readonly speakers: readonly string[];
  /** Pause between words, seconds. @defaultValue [0.6, 1.6] */
  readonly gapS: readonly [number, number];
  /** Peak level of each word, dBFS. @defaultValue [-26, -6] */
  readonly speechDbfs: readonly [number, number];
  /** Background noise levels (RMS, dBFS) cycled per segment; -Infinity is digital silence. @defaultValue [-Infinity, -70, -55, -45] */
  readonly backgroundDbfs: readonly number[];
  /** @defaultValue 30 */
  readonly segmentS: number;
  /** @defaultValue 16000 */
  readonly sampleRate: number;
  readonly cacheDir?: string;
}

export interface StreamEvent {
  readonly word: string;
  readonly keyword: boolean;
  /** Seconds from the start of the stream. */
  readonly start: number;
  readonly end: number;
  readonly speaker: string;
}

export interface KeywordStream {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly durationS: number;
  readonly events: readonly StreamEvent[];
  /** The background of each segment. */
  readonly segments: readonly { readonly start: number; readonly levelDbfs: number }[];
}

/**
 * Seed of the validation stream on which `train` and the benchmark choose a keyword detector's
 * setting (the benchmark's test stream has another).
 */
export const VALIDATION_STREAM_SEED = 11;

/**
 * espeak-ng variants for validation streams: no training speaker and no test speaker uses them,
 * so a threshold chosen on a validation stream is chosen on voices the report never hears.
 */
export const VALIDATION_VARIANTS: readonly string[] = Object.freeze([
  'adam',
  'edward',
  'iven',
  'norbert',
  'travis',
  'klatt4',
  'Mario',
  'steph2',
]);

/**
 * Who speaks in a stream, as espeak-ng voice names, from the voice task's speaker lists:
 *   - training:   the training speakers (base voices × training variants), for mining negatives;
 *   - validation: training base voices with VALIDATION_VARIANTS, for choosing a threshold;
 *   - test:       the unseen-speaker test's speakers (test-only base voices, plain or with a
 *                 test-only variant, and training base voices with a test-only variant);
 *   - all:        every training and test-only speaker.
 */
export type SpeakerGroup = 'training' | 'validation' | 'test' | 'all';

type SpeakerLists = Pick<VoiceTaskOptions, 'voices' | 'variants' | 'unseenVoices' | 'unseenVariants'>;

export function streamSpeakers(group: SpeakerGroup, lists: SpeakerLists = VOICE_DEFAULTS): string[] {
  const cross = (voices: readonly string[], variants: readonly string[]) =>
    voices.flatMap((v) => variants.map((x) => (x ? `${v}+${x}` : v)));
  const { voices, variants, unseenVoices, unseenVariants } = lists;
  if (group === 'training') return cross(voices, variants);
  if (group === 'validation') return cross(voices, VALIDATION_VARIANTS);
  if (group === 'test')
    return [...cross(unseenVoices, ['', ...unseenVariants]), ...cross(voices, unseenVariants)];
  return cross([...voices, ...unseenVoices], [...variants, ...unseenVariants]);
}

/** Every training and test-only speaker of the voice task's defaults. */
export function allSpeakers(): string[] {
  return streamSpeakers('all');
}

export function keywordStream(
  options: Partial<KeywordStreamOptions> & Pick<KeywordStreamOptions, 'seed' | 'keywords'>,
): KeywordStream {
  const o: KeywordStreamOptions = {
    durationS: 600,
    fillerWords: FILLER_WORDS,
    keywordShare: 0.4,
    speakers: allSpeakers(),
    gapS: [0.6, 1.6],
    speechDbfs: [-26, -6],
    backgroundDbfs: [-Infinity, -70, -55, -45],
    segmentS: 30,
    sampleRate: 16000,
    ...options,
  };
  const rate = o.sampleRate;
  const n = Math.round(o.durationS * rate);
  const samples = new Float32Array(n);
  const rng = new Rng(o.seed);
  const bank = new WordBank(rate, o.cacheDir);
  const events: StreamEvent[] = [];
  let at = Math.round(rng.uniform(o.gapS[0], o.gapS[1]) * rate);
  for (let i = 0; ; i++) {
    const r = rng.fork(`word/${i}`);
    const keyword = r.next() < o.keywordShare;
    const word = keyword
      ? o.keywords[r.int(o.keywords.length)]!
      : o.fillerWords[r.int(o.fillerWords.length)]!;
    const speaker = o.speakers[r.int(o.speakers.length)]!;
    const audio = bank.get({
      word,
      voice: speaker,
      speedWpm: Math.round(r.uniform(130, 210)),
      pitch: Math.round(r.uniform(25, 75)),
    });
    const [a, b] = activeRange(audio);
    if (at + (b - a) >= n) break;
    let peak = 0;
    for (let k = a; k < b; k++) peak = Math.max(peak, Math.abs(audio[k]!));
    const gain = peak > 0 ? 10 ** (r.uniform(o.speechDbfs[0], o.speechDbfs[1]) / 20) / peak : 0;
    for (let k = a; k < b; k++) samples[at + k - a] = audio[k]! * gain;
    events.push({ word, keyword, start: at / rate, end: (at + b - a) / rate, speaker });
    at += b - a + Math.round(r.uniform(o.gapS[0], o.gapS[1]) * rate);
  }
  const segments: { start: number; levelDbfs: number }[] = [];
  const seg = Math.round(o.segmentS * rate);
  for (let s = 0, k = 0; s < n; s += seg, k++) {
    const levelDbfs = o.backgroundDbfs[k % o.backgroundDbfs.length]!;
    segments.push({ start: s / rate, levelDbfs });
    if (!Number.isFinite(levelDbfs)) continue;
    addBackground(samples.subarray(s, Math.min(n, s + seg)), levelDbfs, k % 2 ? 'brown' : 'white', rng);
  }
  return { samples, sampleRate: rate, durationS: n / rate, events, segments };
}

/** Noise at an RMS level in dBFS added to x in place (brown noise normalised to that RMS). */
function addBackground(x: Float32Array, levelDbfs: number, colour: NoiseColour, rng: Rng): void {
  const noise = new Float32Array(x.length);
  let y = 0;
  for (let i = 0; i < noise.length; i++) {
    const w = rng.normal();
    y = colour === 'white' ? w : 0.995 * y + w;
    noise[i] = y;
  }
  const scale = 10 ** (levelDbfs / 20) / Math.sqrt(power(noise) || 1);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + scale * noise[i]!;
}
