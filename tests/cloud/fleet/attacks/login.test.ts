/**
 * Issue 16, item 2: CONNECTs without credentials must not stall real logins. 200 bad CONNECTs
 * from 127.0.0.2 arrive at the real embedded broker at once; a provisioned device then logs in
 * from 127.0.0.1. Password checks are bounded and taken in turn across addresses
 * (login-guard.ts), so the device waits behind at most a round of the flood, most of the flood
 * is refused without a check, and the flooding address is backed off. Times are in the login
 * benchmark (scripts/bench-attacks.ts), not here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginGuard } from '../../../../cloud/fleet/broker/login-guard.js';
import { rawConnect } from '../../../../cloud/fleet/broker/raw-connect.js';
import { FLEET, type Fleet, startFleet } from '../helpers.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet();
});
afterAll(() => fleet.close());

const port = () => Number(new URL(fleet.broker.url).port);

describe('a flood of bad CONNECTs', () => {
  it('does not keep a real device waiting, and is mostly refused without a password check', async () => {
    const creds = fleet.registry.addDevice({ fleet: FLEET, id: 'flood-ok' });
    const answers: (number | null)[] = [];
    const flood = Array.from({ length: 200 }, (_, i) => {
      const c = rawConnect(port(), '127.0.0.2', {
        clientId: `x${i}`,
        username: `${FLEET}.nobody-${i}`,
        password: 'guess',
      });
      return c.done.then((code) => answers.push(code));
    });
    // let the flood reach the broker first
    await new Promise((r) => setTimeout(r, 100));
    const device = await fleet.connect({
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
    });
    const checkedAtLogin = answers.filter((c) => c === 4).length;
    expect(device.connected).toBe(true);
    await Promise.all(flood);
    expect(answers).toHaveLength(200);
    // bad credentials (4) only for the few that were checked; the rest were closed at accept
    // (null) or refused with server unavailable (3), without a password check
    const checked = answers.filter((c) => c === 4).length;
    expect(checked).toBeLessThanOrEqual(24);
    expect(answers.filter((c) => c === 3 || c === null).length).toBe(200 - checked);
    // fair turns: the device did not wait behind the flood's admitted checks (in arrival order
    // it would have waited for all of them)
    expect(checkedAtLogin).toBeLessThan(checked - 5);
    expect(fleet.broker.loginGuard.refused.busy + fleet.broker.loginGuard.refused.backoff).toBe(
      200 - checked,
    );
  });

  it('backs the flooding address off while other addresses log in', async () => {
    const again = rawConnect(port(), '127.0.0.2', {
      clientId: 'y',
      username: `${FLEET}.nobody`,
      password: 'x',
    });
    const backoffs = fleet.broker.loginGuard.refused.backoff;
    expect([null, 3]).toContain(await again.done);
    expect(fleet.broker.loginGuard.refused.backoff).toBe(backoffs + 1);
    const creds = fleet.registry.addDevice({ fleet: FLEET, id: 'flood-ok-2' });
    const ok = rawConnect(port(), '127.0.0.3', {
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
    });
    expect(await ok.done).toBe(0);
  });
});

describe('LoginGuard', () => {
  it('doubles the backoff with each failure past the threshold and forgets it on success', async () => {
    let now = 0;
    const guard = new LoginGuard({ failuresBeforeBackoff: 2, backoffBaseMs: 100, now: () => now });
    const fail = () =>
      guard.check(
        'a',
        async () => 'bad',
        () => true,
      );
    expect(await fail()).toBe('bad');
    expect(await fail()).toBe('bad'); // second failure: blocked for 100 ms
    expect(await fail()).toBe('backoff');
    now += 100;
    expect(await fail()).toBe('bad'); // third: 200 ms
    now += 150;
    expect(await fail()).toBe('backoff');
    now += 50;
    expect(
      await guard.check(
        'a',
        async () => 'ok',
        () => false,
      ),
    ).toBe('ok');
    expect(await fail()).toBe('bad');
    expect(guard.refused.backoff).toBe(2);
  });

  it('takes waiting checks in turn across addresses', async () => {
    const guard = new LoginGuard({ maxConcurrentChecks: 1 });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const run = (addr: string, tag: string, wait?: Promise<void>) =>
      guard.check(
        addr,
        async () => {
          order.push(tag);
          await wait;
        },
        () => false,
      );
    const all = [run('a', 'a0', gate), run('a', 'a1'), run('a', 'a2'), run('a', 'a3'), run('b', 'b0')];
    release();
    await Promise.all(all);
    expect(order).toEqual(['a0', 'a1', 'b0', 'a2', 'a3']);
  });
});
