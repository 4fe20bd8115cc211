/**
 * Telemetry ingest (cloud/fleet/telemetry): batches on `tel/hunger`, `tel/perf` and `evt/drift`
 * are stored once per (device, stream, seq) even when the outbox replays them; malformed
 * payloads and oversized or malformed packets are dropped with a log line while the broker
 * keeps serving; `birth` and `reported` fill the registry.
 */
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, FLEET, type Fleet, startFleet, topic, waitFor } from './helpers.js';

const MAX = 4096;
let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ maxPacketBytes: MAX });
});
afterAll(() => fleet.close());

const hunger = (seq: number, n = 2, stream = 'boot-1') =>
  JSON.stringify({
    stream,
    seq,
    records: Array.from({ length: n }, (_, i) => ({ t: 1_000 + i, layer: i, entropy: 0.5, gap: 0.1 })),
  });

function outcomes(t: string): string[] {
  return fleet.handled.filter((h) => h.topic === t).map((h) => h.outcome.result);
}

function reported(library: string | null, model: string | null, profile = 'pi-zero-2w') {
  const ref = (kind: 'library' | 'model', version: string | null) =>
    version === null ? null : { kind, version, sha256: 'a'.repeat(64) };
  return {
    libraryVersion: library,
    modelVersion: model,
    profile,
    active: { library: ref('library', library), model: ref('model', model) },
    lastJob: null,
    at: new Date().toISOString(),
  };
}

describe('telemetry ingest', () => {
  it('stores hunger, perf and drift batches, and counts a replayed batch once', async () => {
    const { client } = await fleet.device('tel-1');
    const dev = { fleet: FLEET, device: 'tel-1' };
    await client.publishAsync(topic('tel-1', 'tel/hunger'), hunger(0, 3), { qos: 1 });
    await client.publishAsync(topic('tel-1', 'tel/hunger'), hunger(1, 2), { qos: 1 });
    await client.publishAsync(topic('tel-1', 'tel/hunger'), hunger(0, 3), { qos: 1 }); // replay
    const perf = { seq: 0, records: [{ p50Us: 120, p99Us: 400, steps: 1000, engine: 'native' }] };
    await client.publishAsync(topic('tel-1', 'tel/perf'), JSON.stringify(perf), { qos: 0 });
    const drift = {
      seq: 7,
      records: [{ step: 812, detector: 'page-hinkley', statistic: 9.2, threshold: 8, state: { mean: 0.1 } }],
    };
    await client.publishAsync(topic('tel-1', 'evt/drift'), JSON.stringify(drift), { qos: 1 });
    await waitFor(
      'five handled batches',
      () => fleet.handled.filter((h) => h.topic.includes('tel-1/')).length === 5,
    );

    expect(outcomes(topic('tel-1', 'tel/hunger'))).toEqual(['stored', 'stored', 'duplicate']);
    expect(fleet.store.count('hunger', dev)).toBe(5);
    expect(fleet.store.count('perf', dev)).toBe(1);
    expect(fleet.store.count('drift', dev)).toBe(1);
    const rows = fleet.store.records('drift', dev);
    expect(rows[0]).toMatchObject({ stream: 'main', seq: 7, idx: 0, record: { detector: 'page-hinkley' } });
    // The same seq on another stream is another batch.
    await client.publishAsync(topic('tel-1', 'tel/hunger'), hunger(0, 1, 'boot-2'), { qos: 1 });
    await waitFor('the second stream', () => fleet.store.count('hunger', dev) === 6);
  });

  it('drops malformed payloads with a log line and keeps ingesting', async () => {
    const { client } = await fleet.device('tel-bad');
    const t = topic('tel-bad', 'tel/hunger');
    await client.publishAsync(t, 'not json {', { qos: 1 });
    await client.publishAsync(t, JSON.stringify({ seq: -1, records: [] }), { qos: 1 });
    await client.publishAsync(t, JSON.stringify({ seq: 1, records: [{ layer: 0, entropy: 'high' }] }), {
      qos: 1,
    });
    await client.publishAsync(t, hunger(2), { qos: 1 });
    await waitFor('four handled messages', () => outcomes(t).length === 4);
    expect(outcomes(t)).toEqual(['dropped', 'dropped', 'dropped', 'stored']);
    expect(fleet.store.count('hunger', { fleet: FLEET, device: 'tel-bad' })).toBe(2);
    const lines = fleet.logs.filter((l) => l.startsWith(`dropped message on '${t}'`));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('records.0.entropy');
  });

  it('closes a connection that sends an oversized packet; nothing is stored and the broker keeps serving', async () => {
    const { client } = await fleet.device('tel-big');
    const big = JSON.stringify({ seq: 0, records: [{ layer: 0, entropy: 0.1, pad: 'x'.repeat(MAX) }] });
    client.publish(topic('tel-big', 'tel/hunger'), big, { qos: 1 });
    await closed(client);
    expect(fleet.logs.some((l) => l.includes(`over the ${MAX}-byte limit`))).toBe(true);
    expect(fleet.store.count('hunger', { fleet: FLEET, device: 'tel-big' })).toBe(0);

    // Malformed MQTT on a raw socket: a five-byte remaining length, then a bad CONNECT.
    for (const bytes of [
      [0x30, 0xff, 0xff, 0xff, 0xff, 0x01],
      [0x10, 0x04, 0x00, 0x02, 0x41, 0x42],
    ]) {
      await new Promise<void>((resolve, reject) => {
        const s = netConnect(fleet.broker.port, '127.0.0.1', () => s.write(Buffer.from(bytes)));
        s.on('error', reject);
        s.on('close', () => resolve());
        s.resume();
      });
    }

    const { client: after } = await fleet.device('tel-after');
    await after.publishAsync(topic('tel-after', 'tel/hunger'), hunger(0), { qos: 1 });
    await waitFor(
      'the batch after',
      () => fleet.store.count('hunger', { fleet: FLEET, device: 'tel-after' }) === 2,
    );
  });

  it('lets the operator send packets above the device limit (release chunks)', async () => {
    const { client: dev } = await fleet.device('tel-chunks');
    await dev.subscribeAsync(topic('tel-chunks', 'stream/+/data'), { qos: 1 });
    const got: Buffer[] = [];
    dev.on('message', (_t, p) => got.push(p));
    const op = fleet.broker.operator;
    const cloud = await fleet.connect({ clientId: 'chunker', username: op.username, password: op.password });
    await cloud.publishAsync(topic('tel-chunks', 'stream/s1/data'), Buffer.alloc(3 * MAX, 7), { qos: 1 });
    await waitFor('the chunk', () => got.length === 1);
    expect(got[0]!.length).toBe(3 * MAX);
  });

  it('fills the registry from birth and reported', async () => {
    const { client } = await fleet.device('tel-birth');
    const birth = {
      runtime: { name: 'liquidkan-device', version: '0.1.0', engine: 'native' },
      profile: 'pi4',
      libraryVersion: '3',
      modelVersion: 'm-7',
      boot: 12,
      at: new Date().toISOString(),
    };
    await client.publishAsync(topic('tel-birth', 'birth'), JSON.stringify(birth), { qos: 1, retain: true });
    await client.publishAsync(topic('tel-birth', 'status'), 'online', { qos: 1, retain: true });
    await waitFor('birth and status', () => fleet.registry.getDevice(FLEET, 'tel-birth')?.online === true);
    await waitFor('birth', () => fleet.registry.getDevice(FLEET, 'tel-birth')?.libraryVersion === '3');
    await client.publishAsync(topic('tel-birth', 'reported'), JSON.stringify(reported('4', 'm-7', 'pi4')), {
      qos: 1,
    });
    await waitFor('reported', () => fleet.registry.getDevice(FLEET, 'tel-birth')?.libraryVersion === '4');
    const d = fleet.registry.getDevice(FLEET, 'tel-birth')!;
    expect(d).toMatchObject({
      modelVersion: 'm-7',
      profile: 'pi4',
      boot: 12,
      runtime: 'liquidkan-device 0.1.0 (native)',
    });
    expect(d.lastSeenMs).toBeGreaterThan(0);
  });

  // issue 16 item 6: the cloud dropped these (it expected strings where the schema allows null)
  it.each([
    ['only a library', 'tel-lib-only', '2', null],
    ['only a model', 'tel-model-only', null, 'm-1'],
  ] as const)('shows the profile and versions of a device with %s', async (_what, id, library, model) => {
    const { client } = await fleet.device(id);
    const birth = {
      runtime: { name: 'liquidkan-device', version: '0.1.0', engine: 'wasm' },
      profile: 'pi-zero-2w',
      libraryVersion: library,
      modelVersion: model,
      boot: 1,
      at: new Date().toISOString(),
    };
    await client.publishAsync(topic(id, 'birth'), JSON.stringify(birth), { qos: 1, retain: true });
    await client.publishAsync(topic(id, 'reported'), JSON.stringify(reported(library, model)), {
      qos: 1,
      retain: true,
    });
    await waitFor('birth and reported', () => fleet.registry.getDevice(FLEET, id)?.profile === 'pi-zero-2w');
    expect(fleet.registry.getDevice(FLEET, id)).toMatchObject({
      profile: 'pi-zero-2w',
      libraryVersion: library,
      modelVersion: model,
      runtime: 'liquidkan-device 0.1.0 (wasm)',
    });
  });

  // issue 16 item 10: a 200,000-character runtime was stored and served to every dashboard (this
  // broker's packet bound is MAX; the embedded broker's default, 256 KiB, let that one through)
  it('drops facts with strings over their bound, and keeps what it had', async () => {
    const { client } = await fleet.device('tel-long');
    const birth = {
      runtime: { name: 'liquidkan-device', version: '1', engine: 'native' },
      profile: 'pi4',
      libraryVersion: null,
      modelVersion: null,
      boot: 1,
      at: new Date().toISOString(),
    };
    const before = fleet.handled.length;
    await client.publishAsync(
      topic('tel-long', 'birth'),
      JSON.stringify({ ...birth, runtime: { ...birth.runtime, name: 'x'.repeat(MAX / 2) } }),
      { qos: 1 },
    );
    await client.publishAsync(
      topic('tel-long', 'birth'),
      JSON.stringify({ ...birth, profile: 'p'.repeat(65) }),
      { qos: 1 },
    );
    await waitFor('two birth messages handled', () => fleet.handled.length >= before + 2);
    const outcomes = fleet.handled.slice(before).map((h) => h.outcome);
    expect(outcomes).toEqual([
      { result: 'dropped', reason: expect.stringMatching(/^runtime\.name: /) },
      { result: 'dropped', reason: expect.stringMatching(/^profile: /) },
    ]);
    expect(fleet.registry.getDevice(FLEET, 'tel-long')).toMatchObject({ runtime: null, profile: null });
  });
});
