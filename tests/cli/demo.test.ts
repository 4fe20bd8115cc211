/** `liquidkan demo --local --json`: the single-process loop runs on embedded defaults and reports its figures. */

import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliOnce, ROOT, tempDir } from './cli-harness.js';

/** runCli with room for a loaded machine: the demo takes ~15 s alone, more beside other suites. */
function runDemo(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'liquidkan.js'), ...args],
      { cwd, timeout: 90_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

let work: string;
beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-demo');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('liquidkan demo --local', () => {
  it('discovers, trains, exports and runs the device through a regime shift', async () => {
    const out = join(work, 'demo');
    const r = await runDemo(['demo', '--local', '--seed', '1', '--out', out, '--json'], work);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.discovery.version).toBe(2);
    expect(j.discovery.formulas.join(' ')).toMatch(/sin\(/);
    expect(j.training.test_mse).toBeLessThan(j.training.persistence_mse);
    expect(j.export.test.fp32).toBeGreaterThan(0);
    expect(j.device.adapted.steps).toBe(3000);
    expect(j.device.adapted.tau.adapted).toBe(true);
    expect(j.device.frozen.tau.adapted).toBe(false);
    expect(j.device.adapted.drift_events.some((e: { step: number }) => e.step >= 2000)).toBe(true);
    // the device ran the bundle alone (no training.json in it): its manifest names the columns and
    // horizon, and scales the residual detector by the int8 test MSE, which sees the shift at once
    expect(existsSync(join(out, 'pi4-int8/training.json'))).toBe(false);
    for (const run of [j.device.frozen, j.device.adapted]) {
      expect(run.residual_test_mse).toBe(j.export.test.value);
      const residual = run.drift_events.filter((e: { detector: string }) => e.detector === 'residual');
      expect(residual[0]?.step).toBeGreaterThanOrEqual(2000);
      expect(residual[0]?.step).toBeLessThan(2050);
    }
    for (const f of [
      'library/library.json',
      'model/model.json',
      'model/training.json',
      'pi4-int8/manifest.json',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  }, 120_000);
});
