/**
 * Health checks of a slot on trial: a model must load for the profile, take the device's input
 * shape, run the buffered samples (or zeros) with finite outputs and keep its error within a
 * bound of the running model's; a library must parse and be finite on [-1, 1].
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SampleBuffer } from '../../../device/select/buffer.js';
import { libraryHealthCheck, modelHealthCheck } from '../../../device/sync/health.js';
import type { HealthResult, SlotRelease } from '../../../device/sync/slots.js';
import { classicLibrary, LIBRARY_FILE, saveLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { baseModel, PI4, scaledReadout, writeModelBundle } from './models.js';

let work: string;
let good: string;
let worse: string;
let wide: string;
const rel: SlotRelease = { kind: 'model', version: 'x', sha256: '0'.repeat(64) };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'liquidkan-health-'));
  const base = baseModel();
  good = writeModelBundle(join(work, 'good'), base);
  worse = writeModelBundle(join(work, 'worse'), scaledReadout(base, 50, 2));
  wide = writeModelBundle(
    join(work, 'wide'),
    initModel({ library: classicLibrary(), inputs: 4, hidden: 6, outputs: 2, seed: 1, activation: 'tanh' }),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function samples(labelled: boolean): SampleBuffer {
  const s = new SampleBuffer(64, 3, 2);
  for (let t = 0; t < 80; t++) {
    const x = Float64Array.of(Math.sin(t / 5), Math.cos(t / 7), t / 80);
    s.push(x, labelled ? Float64Array.of(0.3 * Math.sin(t / 4), 0.1) : null, 1);
  }
  return s;
}

const check = (buf: SampleBuffer | null, reference: string | null) =>
  modelHealthCheck({
    profile: PI4,
    threads: 1,
    latencyCheck: false,
    samples: () => buf,
    reference: () => reference,
    shape: () => ({ inputs: 3, outputs: 2 }),
  });

const asObject = (r: HealthResult) => (typeof r === 'boolean' ? { ok: r } : r);

describe('health checks', () => {
  it('passes a model that runs the buffered samples, or zeros when there are none', async () => {
    expect(asObject(await check(null, good)(good, rel))).toMatchObject({ ok: true, reason: /zero samples/ });
    expect(asObject(await check(samples(false), good)(good, rel))).toMatchObject({
      ok: true,
      reason: /64 samples/,
    });
    const same = asObject(await check(samples(true), good)(good, rel));
    expect(same).toMatchObject({ ok: true, reason: /MSE .* the running model's/ });
  });

  it('fails a model far worse than the running one on the same samples', async () => {
    const r = asObject(await check(samples(true), good)(worse, rel));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/over 2× the running model's error/);
    // without labels there is nothing to compare: it loads and runs, so it passes
    expect(asObject(await check(samples(false), good)(worse, rel)).ok).toBe(true);
  });

  it("refuses a model that does not take the device's input", async () => {
    await expect(Promise.resolve(check(samples(true), good)(wide, rel))).rejects.toThrow(
      /takes 4 inputs and gives 2 outputs; the device's input has 3 and 2/,
    );
  });

  it('checks that a library parses and every entry is finite on [-1, 1]', () => {
    const dir = join(work, 'lib');
    saveLibrary(dir, classicLibrary());
    expect(asObject(libraryHealthCheck()(dir, rel) as HealthResult)).toMatchObject({
      ok: true,
      reason: /library 1: \d+ entries finite on \[-1, 1\]/,
    });
    const file = join(dir, LIBRARY_FILE);
    const original = readFileSync(file, 'utf8');
    // the version is covered too (issue 16 item 11): an edited one is refused
    writeFileSync(file, original.replace(/"version": 1/, '"version": 7'));
    expect(() => libraryHealthCheck()(dir, rel)).toThrow(/fileHash/);
    writeFileSync(file, original);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/"hash": "[0-9a-f]+"/, `"hash": "${'0'.repeat(64)}"`),
    );
    expect(() => libraryHealthCheck()(dir, rel)).toThrow(/hash/);
  });
});
