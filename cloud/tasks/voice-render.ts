/**
 * Spoken words from espeak-ng, rendered once into a cache directory and reused. A file's name
 * is the word plus a hash of everything that changes the audio (word, voice, speed, pitch and
 * the espeak-ng version), so changing any of them renders anew and nothing stale is read.
 * espeak-ng's output is deterministic for given parameters, so a cached file equals a fresh
 * render on the same espeak-ng version.
 *
 * Files are written under a temporary name and renamed, so a crashed or parallel render never
 * leaves a half-written WAV behind under the final name.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../shared/errors.js';
import { readWav, type WavAudio } from '../../shared/io/wav.js';

export interface SpeechParams {
  readonly word: string;
  /** An espeak-ng voice with an optional variant, e.g. 'en-us', 'en+f2'. */
  readonly voice: string;
  /** Words per minute (espeak-ng -s; its default is 175). */
  readonly speedWpm: number;
  /** 0–99 (espeak-ng -p; its default is 50). */
  readonly pitch: number;
}

/** Where rendered words are kept unless a directory is given: <os tmpdir>/liquidkan-voice-cache. */
export function defaultVoiceCacheDir(): string {
  return join(tmpdir(), 'liquidkan-voice-cache');
}

let cachedVersion: string | null = null;

/**
 * The version line of `command` (espeak-ng); throws an InputError naming the package to
 * install when it cannot be run.
 */
export function requireEspeak(command = 'espeak-ng'): string {
  const r = spawnSync(command, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new InputError(
      `the voice task needs espeak-ng, but '${command} --version' failed (${r.error?.message ?? `exit ${r.status}`}); install the 'espeak-ng' package (Debian/Ubuntu: apt-get install espeak-ng)`,
      { cause: r.error },
    );
  }
  return r.stdout.trim();
}

/** espeak-ng's version line, checked once per process. */
export function espeakVersion(): string {
  cachedVersion ??= requireEspeak();
  return cachedVersion;
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
}

/** The cache file that holds (or will hold) this rendering. */
export function speechCachePath(p: SpeechParams, cacheDir: string): string {
  const key = JSON.stringify([espeakVersion(), p.word, p.voice, Math.round(p.speedWpm), Math.round(p.pitch)]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return join(cacheDir, `${p.word.replace(/[^a-z]/gi, '_')}-${hash}.wav`);
}

/** Render a word to a WAV file in cacheDir unless it is there already; returns its path. */
export function renderSpeech(p: SpeechParams, cacheDir = defaultVoiceCacheDir()): string {
  checkParams(p);
  const file = speechCachePath(p, cacheDir);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const args = ['-v', p.voice, '-s', String(Math.round(p.speedWpm)), '-p', String(Math.round(p.pitch))];
  const r = spawnSync('espeak-ng', [...args, '-w', tmp, '--', p.word], { encoding: 'utf8' });
  if (r.error || r.status !== 0 || !existsSync(tmp)) {
    throw new InputError(
      `espeak-ng ${args.join(' ')} could not render ${JSON.stringify(p.word)}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`,
      { cause: r.error },
    );
  }
  renameSync(tmp, file);
  return file;
}

/** A rendered word's audio (espeak-ng writes 22 050 Hz mono 16-bit). */
export function speechAudio(p: SpeechParams, cacheDir = defaultVoiceCacheDir()): WavAudio {
  return readWav(renderSpeech(p, cacheDir));
}
