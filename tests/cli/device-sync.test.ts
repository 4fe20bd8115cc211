/**
 * `liquidkan device` with fleet sync, as a user runs it against the embedded broker: it announces
 * itself, installs a release job that was waiting for it, sends telemetry, and ends with the usual
 * summary; a later run needs no --model once a model release is installed; SIGTERM publishes
 * 'offline' and exits 0 with the summary; inconsistent sync flags are refused.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Release } from '../../shared/release/create.js';
import { FLEET, type SyncFleet, startSyncFleet, waitFor } from '../device/sync/fleet.js';
import { baseModel, line, modelRelease, scaledReadout, writeModelBundle } from '../device/sync/models.js';
import { buildCliOnce, type CliResult, ROOT, runCli, tempDir } from './cli-harness.js';

let work: string;
let fleet: SyncFleet;
let m2: Release;

const lastJson = (r: CliResult) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-device-sync');
  fleet = await startSyncFleet();
  const base = baseModel();
  writeModelBundle(join(work, 'bundle'), base);
  m2 = modelRelease(
    writeModelBundle(join(work, 'v2'), scaledReadout(base, 1, 1e-3)),
    fleet.keys.privateKey,
    'm2',
  );
  fleet.server.serve(m2);
  writeFileSync(join(work, 'release.pub'), fleet.keys.publicKey);
  const rows = Array.from({ length: 300 }, (_, t) => [
    Math.sin(t / 5),
    Math.cos(t / 7),
    t / 300,
    Math.sin(t / 4),
    0.5,
  ]);
  writeFileSync(join(work, 'data.csv'), `a,b,c,y0,y1\n${rows.map((r) => r.join(',')).join('\n')}\n`);
});
afterAll(() => fleet.close());

function credentials(id: string): string {
  const file = join(work, `${id}.json`);
  writeFileSync(file, JSON.stringify(fleet.provision(id)));
  return file;
}

/** `liquidkan device ARGS` with its stdin open for the test to write samples into. */
function spawnDevice(args: readonly string[]) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'liquidkan.js'), 'device', ...args], {
    cwd: work,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

const COMMON = ['--profile', 'pi4', '--no-latency-check', '--threads', '1', '--quiet', '--json'];

describe('liquidkan device with fleet sync', () => {
  it('installs a waiting release, sends telemetry and prints the summary; then runs the installed model', async () => {
    const creds = credentials('cli-1');
    await fleet.server.notify(FLEET, 'cli-1', { jobId: 'cli-job', envelope: m2.envelope });
    const sync = [
      '--credentials',
      creds,
      '--trust',
      'release.pub',
      '--data',
      'data1',
      '--telemetry-interval-ms',
      '200',
    ];
    // the input stays open until the release is installed and the run restarted, however busy
    // the machine: a file of fixed length raced the install on a loaded CI runner
    const device = spawnDevice(['--model', 'bundle', '--input', '-', ...sync, ...COMMON]);
    for (let t = 0; t < 100; t++) device.child.stdin.write(line(t));
    await waitFor(
      'the restart on the installed release',
      () => /restarting the model run/.test(device.stderr()),
      45_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the device printed:\n${device.stderr()}`);
    });
    // samples keep coming, 10 every 100 ms, until the device has sent a few perf batches (every
    // 200 ms while steps run) and 300 samples in all
    const perf = () => fleet.server.telemetry.filter((t) => t.device === 'cli-1' && t.kind === 'tel/perf');
    let written = 100;
    while (written < 300 || perf().length <= 2) {
      if (written > 3000) throw new Error(`${perf().length} tel/perf batches after ${written} samples`);
      for (const end = written + 10; written < end; written++) device.child.stdin.write(line(written));
      await new Promise((r) => setTimeout(r, 100));
    }
    device.child.stdin.end();
    const r = { code: (await device.exited) ?? -1, stdout: device.stdout(), stderr: device.stderr() };
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const s = lastJson(r);
    expect(s['steps']).toBe(written);
    expect(fleet.server.final('cli-job')?.state).toBe('succeeded');
    expect(r.stderr).toMatch(/restarting the model run: model release m2 installed/);
    expect(fleet.server.status.get('cli-1')).toBe('offline');
    expect(fleet.server.births.get('cli-1')).toMatchObject({
      boot: 1,
      profile: 'pi4',
      // auto: the faster of the compiled engine and onnxruntime-node at startup
      runtime: { engine: expect.stringMatching(/^(js|native)$/) },
    });
    expect(perf().length).toBeGreaterThan(2);

    // no --model: the installed release runs
    const again = await runCli(
      ['device', '--input', 'data.csv', '--target', 'y0,y1', ...sync, ...COMMON],
      work,
    );
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/running bundle .*data1\/model\/slots\/[ab] on (js|native)/);
    expect(lastJson(again)['steps']).toBe(300);
    await waitFor('boot 2', () => fleet.server.births.get('cli-1')?.['boot'] === 2);
  });

  it("publishes 'offline' and exits 0 with the summary on SIGTERM", async () => {
    const creds = credentials('cli-2');
    const device = spawnDevice([
      '--model',
      'bundle',
      '--input',
      '-',
      ...['--credentials', creds, '--trust', 'release.pub', '--data', 'data2'],
      ...COMMON.filter((f) => f !== '--quiet'),
    ]);
    const { child } = device;
    for (let t = 0; t < 50; t++) child.stdin.write(line(t));
    await waitFor('online', () => fleet.server.status.get('cli-2') === 'online', 20_000);
    await waitFor(
      '50 step lines',
      () =>
        device
          .stdout()
          .split('\n')
          .filter((l) => l.startsWith('{"step"')).length === 50,
    );
    child.kill('SIGTERM');
    const code = await device.exited;
    expect(device.stderr()).toMatch(/SIGTERM: stopping/);
    expect(code).toBe(0);
    expect(JSON.parse(device.stdout().trim().split('\n').at(-1)!)).toMatchObject({ steps: 50 });
    await waitFor('offline', () => fleet.server.status.get('cli-2') === 'offline');
  });

  it('refuses inconsistent sync flags', async () => {
    const creds = credentials('cli-3');
    const noTrust = await runCli(
      [
        'device',
        '--model',
        'bundle',
        '--input',
        'data.csv',
        '--credentials',
        creds,
        '--data',
        'd3',
        ...COMMON,
      ],
      work,
    );
    expect(noTrust.code).toBe(2);
    expect(noTrust.stderr).toMatch(/needs --trust PUBFILE/);
    const wrongId = await runCli(
      [
        'device',
        '--model',
        'bundle',
        '--input',
        'data.csv',
        ...['--credentials', creds, '--trust', 'release.pub', '--data', 'd3', '--id', 'someone-else'],
        ...COMMON,
      ],
      work,
    );
    expect(wrongId.code).toBe(2);
    expect(wrongId.stderr).toMatch(/--id 'someone-else' does not match the credentials file's id 'cli-3'/);
    const noModel = await runCli(['device', '--input', 'data.csv', ...COMMON], work);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toMatch(/--model is required/);
    const emptyData = await runCli(
      [
        'device',
        '--input',
        'data.csv',
        '--credentials',
        creds,
        '--trust',
        'release.pub',
        '--data',
        'd4',
        ...COMMON,
      ],
      work,
    );
    expect(emptyData.code).toBe(2);
    expect(emptyData.stderr).toMatch(/no model to run/);
  });
});
