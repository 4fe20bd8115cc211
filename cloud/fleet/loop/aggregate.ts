/**
 * Pure parts of the policy: whether a group's hunger is persistent, and the pooled samples of
 * its hungry records. Pooling is balanced across devices (one chatty device must not decide
 * the shape) and seeded, so the same stored records and seed give the same job.
 */

import type { Rng } from '../../../shared/numeric/rng.js';
import { HungerRecordSchema } from '../../../shared/types/telemetry.js';
import type { GroupCount, HungryRow } from './hunger-query.js';
import type { HungerThresholds } from './types.js';

export function isPersistent(group: GroupCount, fleetDevices: number, t: HungerThresholds): boolean {
  if (group.records < t.minHungryRecords) return false;
  if (group.devices < t.minDevices) return false;
  return t.minDeviceFraction <= 0 || group.devices >= t.minDeviceFraction * Math.max(fleetDevices, 1);
}

export interface PooledSamples {
  readonly u: number[];
  readonly phi: number[];
  readonly devices: readonly string[];
  readonly records: number;
  readonly meanGap: number | null;
  readonly meanEntropy: number;
  /** The most frequent bestSingle the devices named ('' when none did). */
  readonly bestSingle: string;
}

/**
 * Up to `maxSamples` (u, φ) pairs from the rows: each device's pairs shuffled by its own
 * seeded stream, then taken round-robin over devices in name order, then sorted by u.
 */
export function poolSamples(rows: readonly HungryRow[], maxSamples: number, rng: Rng): PooledSamples {
  const byDevice = new Map<string, [number, number][]>();
  const names = new Map<string, number>();
  let gapSum = 0;
  let gapN = 0;
  let entropySum = 0;
  let records = 0;
  for (const row of rows) {
    const r = HungerRecordSchema.safeParse(row.record);
    if (!r.success) continue; // stored rows were validated on ingest; a row from an older schema is skipped
    records++;
    entropySum += r.data.entropy;
    if (r.data.gap !== undefined) {
      gapSum += r.data.gap;
      gapN++;
    }
    if (r.data.bestSingle) names.set(r.data.bestSingle, (names.get(r.data.bestSingle) ?? 0) + 1);
    const s = r.data.samples;
    if (!s) continue;
    const pairs = byDevice.get(row.device) ?? [];
    for (let i = 0; i < s.u.length; i++) {
      if (Number.isFinite(s.u[i]) && Number.isFinite(s.phi[i])) pairs.push([s.u[i]!, s.phi[i]!]);
    }
    byDevice.set(row.device, pairs);
  }
  const devices = [...new Set(rows.map((r) => r.device))].sort();
  const queues = [...byDevice.keys()].sort().map((d) => rng.fork(`device:${d}`).shuffle(byDevice.get(d)!));
  const picked: [number, number][] = [];
  for (let k = 0; picked.length < maxSamples && queues.some((q) => k < q.length); k++) {
    for (const q of queues) if (k < q.length && picked.length < maxSamples) picked.push(q[k]!);
  }
  picked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let bestSingle = '';
  let bestCount = 0;
  for (const [name, n] of [...names].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (n > bestCount) [bestSingle, bestCount] = [name, n];
  }
  return {
    u: picked.map((p) => p[0]),
    phi: picked.map((p) => p[1]),
    devices,
    records,
    meanGap: gapN > 0 ? gapSum / gapN : null,
    meanEntropy: records > 0 ? entropySum / records : 0,
    bestSingle,
  };
}
