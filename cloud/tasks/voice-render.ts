/**
 * Spoken words from espeak-ng, rendered once into a cache directory and reused. A file's name
 * is the word plus a hash of everything that changes the audio (word, voice, speed, pitch and
 * the synthesiser: native or wasm build, and its version; speech-synth.ts), so changing any of
 * them renders anew and nothing stale is read. espeak-ng's output is deterministic for given
 * parameters, so a cached file equals a fresh render by the same synthesiser, and a data set
 * built from the cache is the one a fresh render would give.
 *
 * Files are written under a temporary name and renamed, so a crashed or parallel render never
 * leaves a half-written WAV behind under the final name.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../shared/errors.js';
import { readWav, type WavAudio } from '../../shared/io/wav.js';
import { type SpeechSynth, speechSynth } from './speech-synth.js';

export interface SpeechParams {
  readonly word: string;
  /** An espeak-ng voice with an optional variant, e.g. 'en-us', 'en+f2'. */
  readonly voice: string;
  /** Words per minute (espeak-ng -s; its default is 175). */
  readonly speedWpm: number;
  /** 0–99 (espeak-ng -p; its default is 50). */
  readonly pitch: number;
  /**
   * How to say the word, as espeak-ng phoneme mnemonics (e.g. "d'EUn"), instead of the voice's
   * own pronunciation (voice-pronunciations.ts). The voice's phoneme table still realises them.
   */
  readonly phonemes?: string;
}

/** Where rendered words are kept unless a directory is given: <os tmpdir>/liquidkan-voice-cache. */
export function defaultVoiceCacheDir(): string {
  return join(tmpdir(), 'liquidkan-voice-cache');
}

function checkParams(p: SpeechParams): void {
  if (!/^[a-z][a-z' -]*$/i.test(p.word)) {
    throw new InputError(
      `voice word ${JSON.stringify(p.word)} must be letters, spaces, hyphens or apostrophes`,
    );
  }
  if (!/^[A-Za-z0-9_+-]+$/.test(p.voice))
    throw new InputError(`espeak-ng voice ${JSON.stringify(p.voice)} is not a voice name`);
  if (!(p.speedWpm >= 80 && p.speedWpm <= 450))
    throw new InputError(`speedWpm must be in 80–450, got ${p.speedWpm}`);
  if (!(p.pitch >= 0 && p.pitch <= 99)) throw new InputError(`pitch must be in 0–99, got ${p.pitch}`);
  // mnemonics only: no brackets, spaces or markup that would end the phoneme input early
  if (p.phonemes !== undefined && !/^[A-Za-z0-9'@:#,_-]{1,40}$/.test(p.phonemes))
    throw new InputError(`phonemes ${JSON.stringify(p.phonemes)} are not espeak-ng phoneme mnemonics`);
}

/** The cache file that holds (or will hold) this rendering by `synth`. */
export function speechCachePath(p: SpeechParams, cacheDir: string, synth = speechSynth()): string {
  // a rendering without phonemes keeps the key (and the cached file) it always had
  const key = JSON.stringify([
    synth.id,
    p.word,
    p.voice,
    Math.round(p.speedWpm),
    Math.round(p.pitch),
    ...(p.phonemes !== undefined ? [p.phonemes] : []),
  ]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return join(cacheDir, `${p.word.replace(/[^a-z]/gi, '_')}-${hash}.wav`);
}

/** Render a word to a WAV file in cacheDir unless it is there already; returns its path. */
export function renderSpeech(
  p: SpeechParams,
  cacheDir = defaultVoiceCacheDir(),
  synth: SpeechSynth = speechSynth(),
): string {
  checkParams(p);
  const file = speechCachePath(p, cacheDir, synth);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const args = ['-v', p.voice, '-s', String(Math.round(p.speedWpm)), '-p', String(Math.round(p.pitch))];
  try {
    synth.render(args, p.phonemes !== undefined ? `[[${p.phonemes}]]` : p.word, tmp);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, file);
  return file;
}

/** A rendered word's audio (espeak-ng writes 22 050 Hz mono 16-bit). */
export function speechAudio(
  p: SpeechParams,
  cacheDir = defaultVoiceCacheDir(),
  synth: SpeechSynth = speechSynth(),
): WavAudio {
  return readWav(renderSpeech(p, cacheDir, synth));
}
