/**
 * A/B slots: install + activate + health check; a failing check rolls back and reports; a bad
 * payload or profile is refused untouched; an install interrupted between steps (a throw, as if
 * the process died) comes back on the previous slot after recover().
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstallSlots, type InstallStep } from '../../../device/sync/slots.js';
import { fakeRelease } from './fake-release.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `liquidkan-${label}-`));
  dirs.push(d);
  return d;
}

const readsVersion = (dir: string) => readFileSync(join(dir, 'model.txt'), 'utf8').trim();
const ok = () => true;

describe('InstallSlots', () => {
  it('installs into the inactive slot, activates, health-checks and reports', async () => {
    const slots = new InstallSlots(tmp('slots'));
    const r1 = fakeRelease('v1');
    const o1 = await slots.installRelease({ ...r1, healthCheck: ok, profile: 'pi4' });
    expect(o1).toMatchObject({ status: 'installed', active: { slot: 'a', release: { version: 'v1' } } });
    expect(readsVersion(slots.activeDir()!)).toBe('model v1');
    const seen: string[] = [];
    const o2 = await slots.installRelease({
      ...fakeRelease('v2'),
      healthCheck: (dir, release) => {
        seen.push(`${readsVersion(dir)} ${release.version}`);
        return { ok: true, reason: 'loads; error 0.01 within 0.05' };
      },
    });
    expect(o2).toEqual({
      status: 'installed',
      reason: 'loads; error 0.01 within 0.05',
      active: { slot: 'b', release: expect.objectContaining({ version: 'v2' }) },
      release: expect.objectContaining({ version: 'v2' }),
    });
    expect(seen).toEqual(['model v2 v2']);
    expect(slots.pointer()).toMatchObject({ trial: false, previous: { slot: 'a' } });
    expect(slots.lastOutcome()?.status).toBe('installed');
    // a confirmed slot can still be rolled back on command (cmd/rollback)
    expect(slots.rollback()?.slot).toBe('a');
    expect(readsVersion(slots.activeDir()!)).toBe('model v1');
    expect(() => slots.rollback()).toThrow(/no intact previous slot/);
  });

  it('rolls back when the health check fails or throws, and reports why', async () => {
    const slots = new InstallSlots(tmp('slots'));
    await slots.installRelease({ ...fakeRelease('v1'), healthCheck: ok });
    const failed = await slots.installRelease({
      ...fakeRelease('v2'),
      healthCheck: () => ({ ok: false, reason: 'max error 0.4 over threshold 0.05' }),
    });
    expect(failed.status).toBe('rolled-back');
    expect(failed.reason).toMatch(/max error 0.4 over threshold 0.05; back on slot a \(v1\)/);
    expect(failed.active?.slot).toBe('a');
    expect(readsVersion(slots.activeDir()!)).toBe('model v1');
    const threw = await slots.installRelease({
      ...fakeRelease('v3'),
      healthCheck: () => {
        throw new Error('onnx session failed');
      },
    });
    expect(threw).toMatchObject({ status: 'rolled-back', active: { slot: 'a' } });
    expect(threw.reason).toMatch(/health check threw: onnx session failed/);
    expect(slots.lastOutcome()?.status).toBe('rolled-back');
  });

  it('a failed first install leaves no active slot', async () => {
    const slots = new InstallSlots(tmp('slots'));
    const o = await slots.installRelease({ ...fakeRelease('v1'), healthCheck: () => false });
    expect(o).toMatchObject({ status: 'rolled-back', active: null });
    expect(o.reason).toMatch(/back on no slot/);
  });

  it('refuses a corrupt payload or the wrong profile without touching the running slot', async () => {
    const slots = new InstallSlots(tmp('slots'));
    await slots.installRelease({ ...fakeRelease('v1'), healthCheck: ok });
    const r2 = fakeRelease('v2');
    const truncated = await slots.installRelease({
      ...r2,
      payload: r2.payload.subarray(0, 5),
      healthCheck: ok,
    });
    expect(truncated).toMatchObject({ status: 'refused', active: { slot: 'a' } });
    expect(truncated.reason).toMatch(/truncated/);
    const profile = await slots.installRelease({ ...r2, healthCheck: ok, profile: 'pi-zero-2w' });
    expect(profile).toMatchObject({
      status: 'refused',
      reason: 'release v2 is for pi4, not profile pi-zero-2w',
    });
    expect(existsSync(slots.slotDir('b'))).toBe(false);
    expect(readsVersion(slots.activeDir()!)).toBe('model v1');
  });

  for (const step of ['wiped', 'unpacked', 'activated'] as InstallStep[]) {
    it(`an install that dies after '${step}' comes back on the previous slot after recover()`, async () => {
      const dir = tmp('slots');
      await new InstallSlots(dir).installRelease({ ...fakeRelease('v1'), healthCheck: ok });
      const crash = new Error(`killed after ${step}`);
      await expect(
        new InstallSlots(dir).installRelease({
          ...fakeRelease('v2'),
          healthCheck: ok,
          onStep: (s) => {
            if (s === step) throw crash;
          },
        }),
      ).rejects.toBe(crash);
      mkdirSync(join(dir, 'slots', '.b.tmp-1234-abcd'), { recursive: true }); // a half-written temp slot
      const restarted = new InstallSlots(dir);
      const { active, outcome } = restarted.recover();
      expect(active?.slot).toBe('a');
      expect(readsVersion(restarted.activeDir()!)).toBe('model v1');
      expect(existsSync(join(dir, 'slots', '.b.tmp-1234-abcd'))).toBe(false);
      if (step === 'activated') {
        expect(outcome).toMatchObject({ status: 'rolled-back', release: { version: 'v2' } });
        expect(outcome?.reason).toMatch(/before slot b \(v2\) passed its health check/);
      } else {
        expect(outcome).toBeUndefined();
      }
      // and the next install goes through
      const o = await restarted.installRelease({ ...fakeRelease('v3'), healthCheck: ok });
      expect(o).toMatchObject({ status: 'installed', active: { slot: 'b' } });
    });
  }

  it('refuses to install over the known-good slot while another is on trial', async () => {
    const slots = new InstallSlots(tmp('slots'));
    await slots.installRelease({ ...fakeRelease('v1'), healthCheck: ok });
    await slots.install(fakeRelease('v2').payload, { kind: 'model', version: 'v2', sha256: 'x' });
    slots.activate();
    const o = await slots.installRelease({ ...fakeRelease('v3'), healthCheck: ok });
    expect(o).toMatchObject({ status: 'refused', active: { slot: 'b' } });
    expect(o.reason).toMatch(/still on trial/);
    expect(readsVersion(slots.slotDir('a'))).toBe('model v1');
  });

  it('recover() with an unreadable pointer picks a slot that holds a release', async () => {
    const dir = tmp('slots');
    await new InstallSlots(dir).installRelease({ ...fakeRelease('v1'), healthCheck: ok });
    writeFileSync(join(dir, 'active'), '{"half');
    const r = new InstallSlots(dir).recover();
    expect(r.active?.slot).toBe('a');
    expect(r.outcome?.reason).toMatch(/unreadable/);
  });
});
