/**
 * A child process SIGKILLed in the middle of an install (after wiping the inactive slot, after
 * unpacking, after activating on trial) leaves the device on the previous slot after recover().
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstallSlots, type InstallStep } from '../../../device/sync/slots.js';
import { fakeRelease } from './fake-release.js';

const HERE = dirname(fileURLToPath(import.meta.url));
let work: string;
let childJs: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'liquidkan-slots-crash-'));
  childJs = join(work, 'slot-child.mjs');
  buildSync({
    entryPoints: [join(HERE, 'slot-child.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile: childJs,
    logLevel: 'error',
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Run the child until it reports reaching `step`, then SIGKILL it. */
function killAt(child: ChildProcess, step: InstallStep): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`at:${step}\n`)) child.kill('SIGKILL');
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`child exited ${code} before step ${step}: ${out} ${err}`));
    });
  });
}

describe.concurrent('install killed with SIGKILL', () => {
  for (const step of ['wiped', 'unpacked', 'activated'] as InstallStep[]) {
    it(`after '${step}' comes back on the previous slot`, async () => {
      const dir = join(work, step);
      const first = new InstallSlots(dir);
      expect((await first.installRelease({ ...fakeRelease('v1'), healthCheck: () => true })).status).toBe(
        'installed',
      );
      const r2 = fakeRelease('v2');
      const payloadFile = join(work, `${step}.payload`);
      const manifestFile = join(work, `${step}.manifest.json`);
      writeFileSync(payloadFile, r2.payload);
      writeFileSync(manifestFile, JSON.stringify(r2.manifest));
      const child = spawn(process.execPath, [childJs], {
        env: {
          ...process.env,
          SLOTS_DIR: dir,
          KILL_AT: step,
          PAYLOAD_FILE: payloadFile,
          MANIFEST_FILE: manifestFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await killAt(child, step);
      if (step === 'activated')
        expect(new InstallSlots(dir).pointer()).toMatchObject({ trial: true, active: { slot: 'b' } });
      const restarted = new InstallSlots(dir);
      const { active, outcome } = restarted.recover();
      expect(active).toMatchObject({ slot: 'a', release: { version: 'v1' } });
      expect(readFileSync(join(restarted.activeDir()!, 'model.txt'), 'utf8')).toBe('model v1\n');
      expect(outcome?.status).toBe(step === 'activated' ? 'rolled-back' : undefined);
    });
  }
});
