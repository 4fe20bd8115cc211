/**
 * The agent's model run switches models on restart(): also when the restart comes while a model is
 * still loading (an install that finishes during the startup benchmark must not leave the old model
 * running until the next release).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRunner } from '../../../device/sync/runner.js';
import { waitFor } from './fleet.js';
import { baseModel, line, PI4, scaledReadout, writeModelBundle } from './models.js';

let work: string;
let v1: string;
let v2: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'liquidkan-runner-'));
  const base = baseModel();
  v1 = writeModelBundle(join(work, 'v1'), base);
  v2 = writeModelBundle(join(work, 'v2'), scaledReadout(base, 1, 1e-3));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runner(candidates: () => string[], stdin: PassThrough, starts: string[], logs: string[]) {
  return new ModelRunner({
    run: {
      model: v1,
      profile: PI4,
      input: '-',
      stdin,
      format: 'jsonl',
      threads: 1,
      latencyCheck: false,
      emit: null,
      log: (l) => logs.push(l),
    },
    candidates,
    observer: {},
    control: { reselect: false, tauReset: false, library: null, windowMs: null },
    onStart: (_started, dir) => starts.push(dir),
    log: (l) => logs.push(l),
  });
}

describe('ModelRunner', () => {
  it('loads the new model before the first sample when restart() comes while a model is loading', async () => {
    let active = v1;
    const stdin = new PassThrough();
    const starts: string[] = [];
    const logs: string[] = [];
    const r = runner(() => [active], stdin, starts, logs);
    // run() has read the candidates and is loading v1
    const done = r.run();
    active = v2;
    r.restart('model release v2 installed');
    for (let t = 0; t < 20; t++) stdin.write(line(t));
    stdin.end();
    const summary = await done;
    expect(starts).toEqual([v2]);
    expect(summary.steps).toBe(20);
    expect(logs).toContain('restarting the model run: model release v2 installed');
  });

  it('ends the running model at the next sample and goes on with the input on the new one', async () => {
    let active = v1;
    const stdin = new PassThrough();
    const starts: string[] = [];
    const r = runner(() => [active], stdin, starts, []);
    const done = r.run();
    for (let t = 0; t < 10; t++) stdin.write(line(t));
    await waitFor('v1 running', () => r.current !== null);
    expect(starts).toEqual([v1]);
    active = v2;
    r.restart('model release v2 installed');
    for (let t = 10; t < 30; t++) stdin.write(line(t));
    stdin.end();
    const summary = await done;
    expect(starts).toEqual([v1, v2]);
    expect(summary.steps).toBe(30);
  });
});
