/**
 * The voice task's synthesiser: the npm registry's wasm espeak-ng renders words without any
 * system package, the native binary is preferred when it works, and a half-installed binary
 * (exits non-zero, renders nothing, hangs) is passed over for the wasm build, or named with the
 * package to install when the native one was asked for. The synthesiser is part of the cache
 * key, so the two never share files.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSynth } from '../../../cloud/tasks/speech-synth.js';
import { activeRange } from '../../../cloud/tasks/voice-mix.js';
import { renderSpeech, speechAudio, speechCachePath } from '../../../cloud/tasks/voice-render.js';
import { InputError } from '../../../shared/errors.js';
import { TOOLS } from '../../helpers/system-tools.js';

const YES = { word: 'yes', voice: 'en-us+f2', speedWpm: 160, pitch: 40 };
const work = mkdtempSync(join(tmpdir(), 'speech-synth-'));

/** An executable shell script standing in for espeak-ng. */
function fakeEspeak(name: string, body: string): string {
  const file = join(work, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('the wasm espeak-ng from npm', () => {
  const wasm = resolveSynth({ choice: 'wasm' });

  it('renders a spoken word, the same bytes every time, cached apart from other synthesisers', () => {
    expect(wasm.kind).toBe('wasm');
    expect(wasm.id).toMatch(/^espeak-ng \(npm espeak-ng@\d+\.\d+\.\d+, wasm\)$/);
    const dir = mkdtempSync(join(work, 'cache-'));
    const file = renderSpeech(YES, dir, wasm);
    const a = speechAudio(YES, dir, wasm);
    expect(a.sampleRate).toBe(22050);
    const [s, e] = activeRange(a.samples);
    expect((e - s) / a.sampleRate).toBeGreaterThan(0.15);
    // a second render into another directory gives the same bytes: the data set is reproducible
    const again = renderSpeech(YES, mkdtempSync(join(work, 'cache-')), wasm);
    expect(readFileSync(again).equals(readFileSync(file))).toBe(true);
    const native = { ...wasm, id: 'espeak-ng 1.51 (native)' };
    expect(speechCachePath(YES, dir, native)).not.toBe(file);
  });

  it('names the voice it does not know, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(work, 'cache-'));
    expect(() => renderSpeech({ ...YES, voice: 'xx-nosuch' }, dir, wasm)).toThrow(
      /-v xx-nosuch.*could not render "yes": .*voice does not exist/,
    );
    expect(() => renderSpeech({ ...YES, voice: 'xx-nosuch' }, dir, wasm)).toThrow(InputError);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('choosing the synthesiser', () => {
  it.skipIf(TOOLS.espeakNative())('takes the working native espeak-ng first', () => {
    const s = resolveSynth({ choice: 'auto' });
    expect(s.kind).toBe('native');
    expect(s.id).toMatch(/^espeak-ng \d+\.\d+\S* \(native\)$/);
  });

  it('passes over a binary that is missing, exits non-zero, renders nothing or hangs', () => {
    const broken = [
      join(work, 'not-installed'),
      fakeEspeak('exits-1', 'echo "espeak-ng: error while loading shared libraries" >&2; exit 1'),
      fakeEspeak(
        'no-audio',
        '[ "$1" = --version ] && echo "eSpeak NG text-to-speech: 1.51" && exit 0; exit 0',
      ),
      fakeEspeak('hangs', 'exec sleep 30'),
    ];
    for (const command of broken) {
      expect(resolveSynth({ choice: 'auto', command, timeoutMs: 1500 }).kind, command).toBe('wasm');
    }
  });

  it('names the package when the native one is asked for and does not work', () => {
    const command = fakeEspeak('exits-2', 'exit 2');
    expect(() => resolveSynth({ choice: 'native', command })).toThrow(InputError);
    expect(() => resolveSynth({ choice: 'native', command })).toThrow(
      /'.*exits-2 --version' failed \(exit 2\); install the 'espeak-ng' package/,
    );
  });
});
