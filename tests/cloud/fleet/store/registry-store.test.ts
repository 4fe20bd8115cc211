/**
 * One suite for the device registry interface (cloud/fleet/store/types.ts), run against SQLite
 * and PostgreSQL: provisioning, authentication, and the facts status/birth/reported record.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../../shared/errors.js';
import { BACKENDS } from './backends.js';

for (const make of BACKENDS) {
  const backend = make();
  describe.skipIf(backend.skip !== null)(`device registry on ${backend.name}`, () => {
    afterAll(() => backend.stop());

    it('provisions a device once, checks its password, and refuses bad names and repeats', async () => {
      const s = await backend.open({ now: () => 5_000 });
      try {
        const creds = await s.registry.addDevice({ fleet: 'plant', id: 'pi-1', broker: 'mqtt://h:1883' });
        expect(creds).toMatchObject({
          fleet: 'plant',
          id: 'pi-1',
          username: 'plant.pi-1',
          broker: 'mqtt://h:1883',
        });
        await expect(async () => s.registry.addDevice({ fleet: 'plant', id: 'pi-1' })).rejects.toThrow(
          /already registered/,
        );
        await expect(async () => s.registry.addDevice({ fleet: 'Plant', id: 'x' })).rejects.toBeInstanceOf(
          InputError,
        );
        expect(await s.registry.authenticate('plant.pi-1', creds.password)).toEqual({
          fleet: 'plant',
          id: 'pi-1',
        });
        expect(await s.registry.authenticate('plant.pi-1', 'wrong')).toBeNull();
        expect(await s.registry.authenticate('plant.nobody', creds.password)).toBeNull();
        expect(await s.registry.getDevice('plant', 'pi-1')).toMatchObject({
          state: 'unknown',
          online: false,
          createdMs: 5_000,
          lastSeenMs: null,
        });
        await s.registry.addDevice({ fleet: 'a-fleet', id: 'z' });
        expect((await s.registry.listDevices()).map((d) => `${d.fleet}/${d.id}`)).toEqual([
          'a-fleet/z',
          'plant/pi-1',
        ]);
        expect(await s.registry.removeDevice('a-fleet', 'z')).toBe(true);
        expect(await s.registry.removeDevice('a-fleet', 'z')).toBe(false);
        expect(await s.registry.getDevice('a-fleet', 'z')).toBeNull();
      } finally {
        await s.close();
      }
    });

    it('records status and facts; only live messages move last seen; unknown devices are reported', async () => {
      let clock = 1_000;
      const s = await backend.open({ now: () => clock });
      try {
        await s.registry.addDevice({ fleet: 'plant', id: 'pi-1' });
        clock = 2_000;
        expect(await s.registry.recordStatus('plant', 'pi-1', 'online', false)).toBe(true);
        expect(await s.registry.getDevice('plant', 'pi-1')).toMatchObject({
          state: 'online',
          online: true,
          lastSeenMs: null,
        });
        clock = 3_000;
        const facts = { libraryVersion: 'v2', modelVersion: 'm1', runtime: 'rt 1', profile: 'pi4', boot: 7 };
        expect(await s.registry.recordBirth('plant', 'pi-1', facts, '{}', true)).toBe(true);
        expect(await s.registry.recordReported('plant', 'pi-1', { modelVersion: 'm2' }, '{}', true)).toBe(
          true,
        );
        expect(await s.registry.getDevice('plant', 'pi-1')).toMatchObject({
          ...facts,
          modelVersion: 'm2',
          lastSeenMs: 3_000,
        });
        expect(await s.registry.recordStatus('plant', 'ghost', 'lost', true)).toBe(false);
      } finally {
        await s.close();
      }
    });
  });
}
