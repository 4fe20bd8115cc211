/**
 * Issue 16, item 9: a 40,000-deep JSON message or manifest threw "Maximum call stack size
 * exceeded" in the cloud's handlers and the device's manifest check. The depth is now bounded
 * before parsing (shared/io/json-depth.ts), and the message is dropped with that reason: on the
 * real broker and ingest (a telemetry batch), in the device's parse of a `jobs/notify`, and in
 * a release file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH } from '../../../../shared/io/json-depth.js';
import { decodeReleaseFile } from '../../../../shared/release/release-file.js';
import { JobNotifySchema, parseControl } from '../../../../shared/types/sync.js';
import { type Fleet, startFleet, topic, waitFor } from '../helpers.js';

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet();
});
afterAll(() => fleet.close());

describe('deeply nested JSON', () => {
  it('is dropped by the cloud with a reason, and the ingest keeps working', async () => {
    const { client } = await fleet.device('deep');
    const batch = `{"stream":"s","seq":0,"records":[${deep(40_000)}]}`;
    await client.publishAsync(topic('deep', 'tel/perf'), batch, { qos: 1 });
    await client.publishAsync(topic('deep', 'status'), `{"state":${deep(20_000)}}`, { qos: 1 });
    await waitFor('both handled', () => fleet.handled.filter((h) => h.topic.includes('/deep/')).length === 2);
    for (const h of fleet.handled.filter((x) => x.topic.endsWith('tel/perf'))) {
      expect(h.outcome).toEqual({
        result: 'dropped',
        reason: expect.stringMatching(/nested deeper than 64 levels/),
      });
    }
    const ok = { stream: 's', seq: 1, records: [{ p50Us: 1, p99Us: 2 }] };
    await client.publishAsync(topic('deep', 'tel/perf'), JSON.stringify(ok), { qos: 1 });
    await waitFor(
      'the next batch stored',
      () => fleet.store.count('perf', { fleet: 'test-fleet', device: 'deep' }) === 1,
    );
  });

  it("is refused in a device's jobs/notify and in a release file, with the reason", () => {
    const notify = `{"format":"liquidkan-job","envelope":{"manifest":${deep(30_000)},"signature":"x"}}`;
    const r = parseControl(JobNotifySchema, Buffer.from(notify));
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/nested deeper than 64 levels/) });
    const env = Buffer.from(`{"manifest":${deep(40_000)},"signature":"x"}`);
    const head = Buffer.alloc(8);
    head.write('LKR1', 0, 'ascii');
    head.writeUInt32LE(env.length, 4);
    expect(() => decodeReleaseFile(new Uint8Array(Buffer.concat([head, env])), 'deep.lkr')).toThrow(
      /nested deeper than 64 levels/,
    );
  });

  it('counts depth without parsing, ignoring brackets inside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}')).toBe(3);
    expect(jsonDepth('"\\\\"[')).toBe(1);
    expect(jsonDepth(deep(1_000_000), MAX_JSON_DEPTH)).toBe(MAX_JSON_DEPTH + 1);
  });
});
