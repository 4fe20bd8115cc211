/**
 * The fleet demo's voice device: a small keyword spotter ('yes', 'no', other) trained from
 * espeak-ng speech in a few seconds, and the stream it listens to: spoken keywords and noise,
 * one word a second, as 16 kHz 16-bit WAV fed to the device's stdin in real time (as `arecord`
 * would be), so it keeps listening for as long as the demo runs.
 */
import type { Writable } from 'node:stream';
import { WordBank } from '../../cloud/tasks/voice.js';
import { mixWord } from '../../cloud/tasks/voice-mix.js';
import { trainVoice } from '../../cloud/train/voice-train.js';
import { encodeWav } from '../../shared/io/wav.js';
import { classicLibrary } from '../../shared/library/library.js';
import type { HybridModel } from '../../shared/model/model.js';
import { Rng } from '../../shared/numeric/rng.js';
import type { ManifestTraining } from '../../shared/types/manifest.js';

export const VOICE_RATE = 16_000;
const WORDS = ['yes', 'no', 'yes', 'noise', 'no', 'no', 'yes', 'noise'] as const;

export interface VoiceModel {
  readonly model: HybridModel;
  readonly classes: readonly string[];
  readonly testAccuracy: number;
}

export function trainVoiceModel(seed: number): VoiceModel {
  const r = trainVoice({
    library: classicLibrary(),
    seed,
    hidden: 8,
    // small on purpose: the demo trains it while the fleet waits (the full-size model and its
    // stream figures are the `voice` benchmark's). No accent variants: its board hears one en-us
    // voice, and at this size they thin out the voices' own words (measured at 40 per class:
    // seen-voice clips 0.83-0.875 without, 0.67-0.75 with a 0.4 share)
    task: { keywords: ['yes', 'no'], perClass: 24, otherMultiple: 2, accentShare: 0 },
    train: { epochs: 15 },
    // no validation stream: the demo's device listens at the detector's defaults
    calibrationS: 0,
  });
  return { model: r.model, classes: r.classes, testAccuracy: r.testAccuracy };
}

/** What the voice bundle's manifest says of it: its class names and held-out error rate. */
export function voiceTraining(v: VoiceModel): ManifestTraining {
  return {
    task: 'classify',
    classes: [...v.classes],
    testError: {
      metric: 'test_error_rate',
      value: 1 - v.testAccuracy,
      units: 'fraction',
      evaluation: 'clips',
    },
  };
}

/** `seconds` of audio: a keyword or noise in each second, at 20 dB SNR; the words in order. */
export function keywordWav(seconds: number, seed: number): { wav: Buffer; words: string[] } {
  const rng = new Rng(seed);
  const samples = new Float32Array(seconds * VOICE_RATE);
  const words: string[] = [];
  // words are rendered at espeak-ng's 22 050 Hz: resampled to the stream's rate before placing
  const bank = new WordBank(VOICE_RATE);
  for (let s = 0; s < seconds; s++) {
    const w = WORDS[s % WORDS.length]!;
    words.push(w);
    const word =
      w === 'noise'
        ? new Float32Array(VOICE_RATE)
        : bank.get({ word: w, voice: 'en-us', speedWpm: 160, pitch: 50 });
    const clip = mixWord(word, { clipSamples: VOICE_RATE, shiftSamples: 0, snrDb: 20, peak: 0.6 }, rng);
    samples.set(clip, s * VOICE_RATE);
  }
  return { wav: encodeWav(samples, VOICE_RATE), words };
}

/**
 * Writes `wav` to `sink` at the audio's own pace (quarter-second chunks); stops at the end or
 * when stopped. Returns the stop function.
 */
export function playInto(sink: Writable, wav: Buffer): () => void {
  const header = 44;
  const chunk = VOICE_RATE / 2; // bytes in 250 ms of 16-bit mono
  let at = 0;
  const sendUntil = (end: number) => {
    if (sink.destroyed || sink.writableEnded) return;
    sink.write(wav.subarray(at, end));
    at = end;
  };
  sendUntil(header + chunk);
  const timer = setInterval(() => {
    if (at >= wav.length) {
      stop();
      return;
    }
    sendUntil(Math.min(wav.length, at + chunk));
  }, 250);
  sink.on('error', () => stop());
  function stop(): void {
    clearInterval(timer);
    if (!sink.destroyed && !sink.writableEnded) sink.end();
  }
  return stop;
}
