/**
 * `liquidkan demo`, the fleet demo, as a user runs it: the cloud in the demo's process, device
 * processes on sensor streams with a regime shift, and the loop from their hunger to a library
 * they install. One full run with small settings, and one stopped by SIGINT midway; after both,
 * no process the demo started is left (every device and discovery child names the demo's
 * directory in its arguments, so `ps` finds any that survived).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliOnce, ROOT, tempDir } from './cli-harness.js';

const BIN = join(ROOT, 'bin', 'liquidkan.js');
let work: string;
beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-demo-fleet');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Processes whose command line mentions `dir` (the demo's own children do). */
function processesUnder(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(dir) && !l.includes('ps -eo'))
    .map((l) => l.trim());
}

interface Run {
  readonly proc: ChildProcess;
  readonly done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
  stderr(): string;
}

function startDemo(args: readonly string[]): Run {
  const proc = spawn(process.execPath, [BIN, 'demo', ...args], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (b: Buffer) => {
    stdout += b.toString('utf8');
  });
  proc.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
  });
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { proc, done, stderr: () => stderr };
}

describe('liquidkan demo (fleet)', () => {
  it('runs the loop: drift, hunger with samples, a new library the devices install and reselect with', async () => {
    const out = join(work, 'full');
    // 60 s of streaming: the schedule (shift, selection) scales with it, and the loop's discovery
    // (a fixed amount of work) still finishes with time to reselect while other files share the
    // cores; at 40 s a loaded machine reselected only as the devices stopped
    const run = startDemo(['--devices', '2', '--duration', '60', '--http-port', '0', '--out', out, '--json']);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    console.log(r.stderr);
    expect(s.failed).toBeNull();
    expect(s.interrupted).toBe(false);
    expect(s.dashboard).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(s.token_file)).toBe(true);
    expect(s.discovery.version).toBe(2);
    // every device came online, installed the model release, streamed, and stopped cleanly
    const sensors = s.devices.filter((d: { kind: string }) => d.kind === 'sensor');
    expect(sensors.map((d: { id: string }) => d.id)).toEqual(['sensor-1', 'sensor-2']);
    const modelRollout = s.rollouts.find((x: { version: string }) => x.version === s.model.release);
    expect(modelRollout).toMatchObject({ fleet: 'demo', kind: 'model', state: 'completed' });
    // the voice device listens to spoken keywords on its stdin, on a model release of its own
    const voice = s.devices.find((d: { kind: string }) => d.kind === 'voice');
    expect(voice.online).toBe(true);
    expect(voice.model_version).not.toBeNull();
    expect(s.rollouts.find((x: { fleet: string }) => x.fleet === 'demo-voice')).toMatchObject({
      version: voice.model_version,
      state: 'completed',
    });
    expect(voice.clips.count).toBeGreaterThan(20);
    // class names come from the bundle's manifest (the device is given no --classes)
    // ('?' counts the detection lines, which carry no label)
    const labels = Object.keys(voice.clips.labels);
    expect(labels.filter((l) => !['yes', 'no', 'other', '?'].includes(l))).toEqual([]);
    expect(labels.filter((l) => l !== '?').length).toBeGreaterThan(0);
    expect(voice.exit).toEqual({ code: 0, signal: null });
    for (const d of sensors) {
      expect(d.online).toBe(true);
      expect(d.model_version).toBe(s.model.release);
      expect(d.steps).toBeGreaterThan(d.shift_step);
      expect(d.drift_events).toBeGreaterThan(0);
      // the bundle names its columns, horizon and test MSE: the residual detector is on
      expect(d.residual_test_mse).toBeGreaterThan(0);
      expect(d.first_drift_step).toBeGreaterThanOrEqual(d.shift_step);
      expect(d.mse.after_shift).toBeGreaterThan(d.mse.before_shift);
      expect(d.exit).toEqual({ code: 0, signal: null });
    }
    // telemetry reached the cloud's store, hunger with the samples discovery needs
    expect(s.telemetry.perf).toBeGreaterThan(0);
    expect(s.telemetry.drift).toBeGreaterThan(0);
    expect(s.telemetry.with_samples).toBeGreaterThanOrEqual(2);
    // the loop made library v3 from both devices' hunger, with an entry that has the wanted shape
    const cycle = s.loop.find((c: { outcome: string }) => c.outcome === 'released');
    expect(cycle, JSON.stringify(s.loop)).toBeDefined();
    expect(cycle.library).toBe(3);
    expect(cycle.devices).toEqual(['sensor-1', 'sensor-2']);
    expect(cycle.added.length).toBeGreaterThan(0);
    expect(cycle.added[0].hunger_distance).toBeLessThan(cycle.best_parent.hunger_distance);
    const libRollout = s.rollouts.find((x: { kind: string }) => x.kind === 'library');
    expect(libRollout).toMatchObject({ fleet: 'demo', version: '3', state: 'completed' });
    // the devices installed it and reselected with the new entry: the error after the shift falls
    for (const d of sensors) {
      expect(d.library_version).toBe('3');
      const re = d.selections.at(-1);
      expect(re.installed).toBe(true);
      expect(re.entries).toEqual([cycle.added[0].name]);
      expect(d.mse.after_reselection).toBeLessThan(d.mse.after_shift / 10);
    }
    expect(processesUnder(out)).toEqual([]);
  }, 180_000);

  it('stops every process cleanly on SIGINT midway', async () => {
    const out = join(work, 'interrupted');
    // discovery's quality is the other test's business: a short one gets the devices up sooner
    const run = startDemo([
      ...['--devices', '2', '--duration', '60', '--discovery-steps', '2'],
      ...['--http-port', '0', '--out', out, '--json'],
    ]);
    // wait until the devices (two sensors, one voice) stream, then Ctrl-C; discovery and
    // training come first, which take longer while other test files share the cores
    for (let waited = 0; !/all 3 online/.test(run.stderr()) && waited < 150_000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(run.stderr()).toMatch(/all 3 online/);
    expect(processesUnder(out).length).toBeGreaterThanOrEqual(3);
    run.proc.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/SIGINT, stopping the devices and the cloud/);
    const s = JSON.parse(r.stdout);
    expect(s.interrupted).toBe(true);
    expect(s.devices).toHaveLength(3);
    for (const d of s.devices) expect(d.exit).toEqual({ code: 0, signal: null });
    expect(processesUnder(out)).toEqual([]);
  }, 180_000);
});
