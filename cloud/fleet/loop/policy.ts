/**
 * The hunger policy: wakes on hunger telemetry (FleetEvents) and on a timer, finds the fleets
 * and layers whose hunger persists (aggregate.ts), and runs one cycle (cycle.ts) for each that
 * is not cooling down. Evaluations run one at a time and coalesce; cycles run one at a time,
 * so discovery never takes more than one core. DATA/loop/history.jsonl carries what was
 * handled across restarts, so the same stored hunger does not trigger twice.
 */
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.js';
import { readPrivateKey } from '../../../shared/release/keys.js';
import { isPersistent } from './aggregate.js';
import { runCycle } from './cycle.js';
import { appendHistory, emptyMemory, groupKey, readHistory, remember } from './history.js';
import { HungerQuery } from './hunger-query.js';
import { currentLibraryDir, libraryVersions } from './library-store.js';
import {
  type CycleRecord,
  DISCOVERY_DEFAULTS,
  type HungerGroup,
  type HungerPolicy,
  type HungerPolicyOptions,
  type HungerThresholds,
  POLICY_DEFAULTS,
  type PolicyStatus,
  THRESHOLD_DEFAULTS,
} from './types.js';

/** Cycles kept in status(). */
const STATUS_CYCLES = 100;

export const HISTORY_FILE = join('loop', 'history.jsonl');

function checkThresholds(t: HungerThresholds): void {
  for (const [name, v] of Object.entries(t)) {
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new RangeError(`hunger policy: thresholds.${name} must be a finite number ≥ 0, got ${v}`);
    }
  }
  if (t.windowMs <= 0)
    throw new RangeError(`hunger policy: thresholds.windowMs must be > 0, got ${t.windowMs}`);
  if (t.minDeviceFraction > 1) {
    throw new RangeError(
      `hunger policy: thresholds.minDeviceFraction must be in [0, 1], got ${t.minDeviceFraction}`,
    );
  }
}

function resolveKey(o: HungerPolicyOptions): KeyObject | null {
  if (o.signingKey) return o.signingKey;
  return o.signingKeyFile ? readPrivateKey(o.signingKeyFile) : null;
}

export function startHungerPolicy(options: HungerPolicyOptions): HungerPolicy {
  const thresholds: HungerThresholds = { ...THRESHOLD_DEFAULTS, ...options.thresholds };
  checkThresholds(thresholds);
  const discovery = { ...DISCOVERY_DEFAULTS, ...options.discovery };
  const { seed, intervalMs, debounceMs } = { ...POLICY_DEFAULTS, ...options };
  const log = options.log ?? ((line: string) => process.stderr.write(`loop: ${line}\n`));
  const now = options.now ?? Date.now;
  const dataDir = options.dataDir;
  const parentDir = options.currentLibraryDir ?? (() => currentLibraryDir(dataDir));
  const key = resolveKey(options);
  const requireKey = (): KeyObject => {
    if (!key)
      throw new InputError('hunger policy: enabled without signingKey or signingKeyFile to sign releases');
    return key;
  };
  let enabled = options.enabled ?? true;
  if (enabled) requireKey();

  const historyFile = join(dataDir, HISTORY_FILE);
  const memory = emptyMemory();
  const cycles: CycleRecord[] = [];
  for (const rec of readHistory(historyFile, log)) {
    remember(memory, rec);
    cycles.push(rec);
  }
  let cycleCount = cycles.length;
  cycles.splice(0, Math.max(0, cycles.length - STATUS_CYCLES));

  const query = new HungerQuery(options.store);
  const abort = new AbortController();
  let closed = false;
  let busy = false;
  let lastEvaluation: PolicyStatus['lastEvaluation'] = null;
  let chain: Promise<unknown> = Promise.resolve();
  let pending: Promise<CycleRecord[]> | null = null;
  let debounce: NodeJS.Timeout | null = null;

  function groupsNow(atMs: number): HungerGroup[] {
    const afterMs = atMs - thresholds.windowMs;
    const fleetDevices = query.fleetDevices(afterMs, atMs);
    return query.groups(afterMs, atMs, thresholds.gap).map((g) => {
      const key = groupKey(g.fleet, g.layer);
      const handled = memory.handledUntilMs.get(key) ?? -Infinity;
      // only hunger newer than what a cycle already handled counts again
      const fresh =
        handled > afterMs
          ? (query.groups(handled, atMs, thresholds.gap, g)[0] ?? { ...g, records: 0, devices: 0 })
          : g;
      const last = memory.lastStartMs.get(key);
      const until =
        last !== undefined && last + thresholds.cooldownMs > atMs ? last + thresholds.cooldownMs : null;
      return {
        fleet: g.fleet,
        layer: g.layer,
        hungryRecords: fresh.records,
        devices: fresh.devices,
        fleetDevices: fleetDevices.get(g.fleet) ?? 0,
        firstMs: fresh.firstMs,
        lastMs: fresh.lastMs,
        persistent: isPersistent(fresh, fleetDevices.get(g.fleet) ?? 0, thresholds),
        cooldownUntilMs: until,
      };
    });
  }

  async function evaluateOnce(): Promise<CycleRecord[]> {
    if (!enabled || closed) return [];
    const atMs = now();
    const groups = groupsNow(atMs);
    lastEvaluation = { atMs, groups };
    const ran: CycleRecord[] = [];
    for (const g of groups) {
      if (!g.persistent || g.cooldownUntilMs !== null) continue;
      if (!enabled || closed) break;
      const id = `c${cycleCount + 1}`;
      busy = true;
      try {
        const rec = await runCycle(
          {
            dataDir,
            query,
            events: options.events,
            thresholds,
            discovery,
            seed,
            key: requireKey(),
            memory,
            parentRef: () => parentDir() ?? 'classic',
            publish: options.publish,
            ...(options.cli ? { cli: options.cli } : {}),
            signal: abort.signal,
            log,
            now,
          },
          id,
          g.fleet,
          g.layer,
        );
        if (!rec) break; // shut down mid-cycle: no record, it runs again after a restart
        cycleCount++;
        try {
          appendHistory(historyFile, rec);
        } catch (err) {
          log(`cannot append to ${historyFile}: ${(err as Error).message}`);
        }
        remember(memory, rec);
        cycles.push(rec);
        if (cycles.length > STATUS_CYCLES) cycles.shift();
        ran.push(rec);
      } finally {
        busy = false;
      }
    }
    return ran;
  }

  function evaluate(): Promise<CycleRecord[]> {
    if (pending) return pending;
    const run = chain.then(() => {
      pending = null;
      return evaluateOnce().catch((err: unknown) => {
        log(`evaluation failed: ${err instanceof Error ? err.message : String(err)}`);
        return [];
      });
    });
    pending = run;
    chain = run;
    return run;
  }

  function wake(): void {
    if (debounce || !enabled || closed) return;
    debounce = setTimeout(() => {
      debounce = null;
      void evaluate();
    }, debounceMs);
    debounce.unref();
  }

  const unsubscribe = options.events.subscribe((e) => {
    if (e.type === 'telemetry' && e.kind === 'hunger') wake();
  });
  const timer = intervalMs > 0 ? setInterval(() => enabled && void evaluate(), intervalMs) : null;
  timer?.unref();
  if (enabled) wake(); // hunger stored while the cloud was down

  return {
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      if (timer) clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      abort.abort();
      await chain;
      query.close();
    },
    status() {
      const current = libraryVersions(dataDir).find((v) => v.current);
      return {
        enabled,
        busy,
        currentLibrary: current ? { version: current.version, dir: current.dir } : null,
        lastEvaluation,
        cycles: [...cycles],
      };
    },
    evaluate,
    setEnabled(on: boolean) {
      if (on) requireKey();
      enabled = on;
      if (on) wake();
    },
  };
}
