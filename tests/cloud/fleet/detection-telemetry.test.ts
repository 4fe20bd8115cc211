/**
 * Keyword detections from voice devices (issue 18): the device agent's `evt/detection` records
 * go through the broker's ACLs into their own telemetry table, are queryable by kind, and reach
 * the dashboard's live feed as points with the word.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartPoint } from '../../../cloud/dashboard/chart-points.js';
import { detectionTelemetry } from '../../../device/sync/telemetry.js';
import { FLEET, type Fleet, startFleet, topic, waitFor } from './helpers.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet();
});
afterAll(() => fleet.close());

describe('detection telemetry', () => {
  it('stores spotted keywords and drops records that are not detections', async () => {
    const { client } = await fleet.device('voice-1');
    const dev = { fleet: FLEET, device: 'voice-1' };
    const record = detectionTelemetry({ word: 'yes', t: 12.3, confidence: 0.93 }, 'm-3', 1_700_000_000_000);
    expect(record).toEqual({
      t: 1_700_000_000_000,
      word: 'yes',
      audioS: 12.3,
      confidence: 0.93,
      modelVersion: 'm-3',
    });
    expect(detectionTelemetry({ word: 'no', t: Number.NaN, confidence: 0.9 }, null)).toBeNull();
    const t = topic('voice-1', 'evt/detection');
    await client.publishAsync(t, JSON.stringify({ seq: 0, records: [record] }), { qos: 1 });
    await client.publishAsync(t, JSON.stringify({ seq: 1, records: [{ word: 'no', confidence: 3 }] }), {
      qos: 1,
    });
    await waitFor('two handled batches', () => fleet.handled.filter((h) => h.topic === t).length === 2);
    expect(fleet.handled.filter((h) => h.topic === t).map((h) => h.outcome.result)).toEqual([
      'stored',
      'dropped',
    ]);
    expect(fleet.store.count('detection', dev)).toBe(1);
    const [row] = fleet.store.records('detection', dev);
    expect(row).toMatchObject({ seq: 0, record: { word: 'yes', audioS: 12.3 } });
    expect(chartPoint('detection', row!.record, 1_700_000_000_500)).toEqual({
      x: 1_700_000_000_000,
      confidence: 0.93,
      audioS: 12.3,
      word: 'yes',
    });
  });
});
