/**
 * A cloud side for the hunger policy in a temp dir: the real telemetry store on a test clock,
 * the real event bus, an Ed25519 key pair, and a publish callback that records its calls (the
 * release service's upload + rollout is the injection point). Hunger arrives as ingest delivers
 * it: a batch stored, then the telemetry event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FleetEvent, FleetEvents } from '../../../../cloud/fleet/events.js';
import {
  type HungerPolicy,
  type HungerPolicyOptions,
  startHungerPolicy,
} from '../../../../cloud/fleet/loop/index.js';
import { TelemetryStore } from '../../../../cloud/fleet/telemetry/index.js';
import { Rng } from '../../../../shared/numeric/rng.js';
import { asPrivateKey, generateKeys } from '../../../../shared/release/keys.js';
import type { HungerRecord } from '../../../../shared/types/telemetry.js';

export const T0 = 1_700_000_000_000;

/** The shape every hungry device wants in these tests: |u|, which no classic entry is. */
export const WANTED = (u: number): number => Math.abs(u);

export interface LoopRig {
  readonly dir: string;
  readonly store: TelemetryStore;
  readonly events: FleetEvents;
  readonly keys: { privateKey: string; publicKey: string };
  readonly logs: string[];
  readonly seen: FleetEvent[];
  readonly published: { file: string; fleet: string }[];
  /** Throw from publish while set. */
  publishError: Error | null;
  now: number;
  /** Stores one batch of `count` hunger records from a device and announces it. */
  hunger(fleet: string, device: string, count: number, record?: Partial<HungerRecord>): void;
  start(options?: Partial<HungerPolicyOptions>): HungerPolicy;
  close(): Promise<void>;
}

export function startRig(): LoopRig {
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-loop-'));
  const logs: string[] = [];
  const seen: FleetEvent[] = [];
  const policies: HungerPolicy[] = [];
  const seqs = new Map<string, number>();
  let now = T0;
  const events = new FleetEvents((l) => logs.push(l));
  events.subscribe((e) => seen.push(e));
  const rig: LoopRig = {
    dir,
    store: TelemetryStore.open({ dataDir: dir, retentionIntervalMs: 0, now: () => now }),
    events,
    keys: generateKeys(),
    logs,
    seen,
    published: [],
    publishError: null,
    get now() {
      return now;
    },
    set now(v: number) {
      now = v;
    },
    hunger(fleet, device, count, record = {}) {
      const seq = seqs.get(`${fleet}/${device}`) ?? 0;
      seqs.set(`${fleet}/${device}`, seq + 1);
      const rng = new Rng(seq).fork(`${fleet}/${device}`);
      const records = Array.from({ length: count }, () => {
        const u = Array.from({ length: 64 }, () => rng.uniform(-2, 2));
        return {
          layer: 0,
          entropy: 0.8,
          gap: 0.3,
          hungry: true,
          bestSingle: 'relu',
          samples: { u, phi: u.map(WANTED) },
          ...record,
        };
      });
      rig.store.insertBatch('hunger', { fleet, device, stream: 'main', seq }, records);
      events.publish({ type: 'telemetry', kind: 'hunger', fleet, device, records });
    },
    start(options = {}) {
      const p = startHungerPolicy({
        store: rig.store,
        events,
        dataDir: dir,
        signingKey: asPrivateKey(rig.keys.privateKey),
        async publish(file, fleet) {
          if (rig.publishError) throw rig.publishError;
          rig.published.push({ file, fleet });
        },
        thresholds: { windowMs: 60_000, minHungryRecords: 4, minDevices: 2, cooldownMs: 600_000 },
        discovery: { steps: 10, timeoutMs: 60_000 },
        seed: 7,
        intervalMs: 0,
        // tests call evaluate() themselves; a test that wants the event-driven wake-up sets this
        debounceMs: 60_000,
        log: (l) => logs.push(l),
        now: () => now,
        ...options,
      });
      policies.push(p);
      return p;
    },
    async close() {
      for (const p of policies) await p.close();
      rig.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
