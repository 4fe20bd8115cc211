/**
 * A half-installed espeak-ng on the PATH (it exits non-zero) as the CLI meets it: pinned to the
 * native synthesiser, `train --task voice` stops at once with exit 2 and a message naming the
 * binary's failure and the package, never a stack trace; a LIQUIDKAN_SPEECH it does not know is
 * named the same way. (Left on auto, the synthesiser passes over such a binary for the npm build:
 * tests/cloud/tasks/speech-synth.test.ts.)
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliOnce, ROOT, tempDir } from './cli-harness.js';

let work: string;
let fakeBin: string;
beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-speech');
  fakeBin = join(work, 'bin');
  mkdirSync(fakeBin);
  const espeak = join(fakeBin, 'espeak-ng');
  writeFileSync(espeak, '#!/bin/sh\necho "espeak-ng: cannot load libespeak-ng.so.1" >&2\nexit 127\n');
  chmodSync(espeak, 0o755);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function trainVoice(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ['train', '--task', 'voice', '--keywords', 'yes', '--per-class', '5'];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        join(ROOT, 'bin', 'liquidkan.js'),
        ...args,
        '--library',
        'classic',
        '--out',
        join(work, 'm'),
        '--json',
      ],
      {
        cwd: work,
        timeout: 30_000,
        env: { ...process.env, PATH: `${fakeBin}:${process.env['PATH']}`, ...env },
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

describe('a broken espeak-ng on the PATH', () => {
  it('is named with its failure and the package when the native synthesiser is asked for', async () => {
    const r = await trainVoice({ LIQUIDKAN_SPEECH: 'native' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/'espeak-ng --version' failed \(exit 127\)/);
    expect(r.stderr).toMatch(/install the 'espeak-ng' package/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a LIQUIDKAN_SPEECH it does not know', async () => {
    const r = await trainVoice({ LIQUIDKAN_SPEECH: 'festival' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/LIQUIDKAN_SPEECH must be auto, native or wasm, got "festival"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
