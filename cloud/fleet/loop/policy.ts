/**
 * The hunger policy: wakes on hunger telemetry (FleetEvents) and on a timer, finds the fleets
 * and layers whose hunger persists (aggregate.ts), and runs one cycle (cycle.ts) for each that
 * is not cooling down. Evaluations run one at a time and coalesce; cycles run one at a time,
 * so discovery never takes more than one core here. The history (DATA/loop/history.jsonl, or
 * loop_cycles in PostgreSQL) carries what was handled across restarts and leaders, so the same
 * stored hunger does not trigger twice. With a runner that queues discovery, each evaluation
 * first finishes the cycles whose jobs are queued (this leader's or an earlier one's), and a
 * fleet and layer with such a cycle starts no other.
 */
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.js';
import { readPrivateKey } from '../../../shared/release/keys.js';
import type { LoopStores } from '../store/types.js';
import { isPersistent } from './aggregate.js';
import { type CycleState, resumeCycle, runCycle } from './cycle.js';
import { localDiscovery } from './discovery-runner.js';
import { emptyMemory, FileLoopHistory, groupKey, remember } from './history.js';
import { HungerQuery } from './hunger-query.js';
import { currentLibraryDir, FileLibraryVersions } from './library-store.js';
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

/** The SQLite cloud's loop stores: its telemetry database, DATA/loop/history.jsonl, DATA/library/. */
function fileStores(options: HungerPolicyOptions, log: (line: string) => void): LoopStores {
  if (!options.store) throw new TypeError('hunger policy: give store (SQLite) or stores');
  const dataDir = options.dataDir;
  return {
    hunger: new HungerQuery(options.store),
    history: new FileLoopHistory(join(dataDir, HISTORY_FILE), log),
    libraries: new FileLibraryVersions(
      dataDir,
      options.currentLibraryDir ?? (() => currentLibraryDir(dataDir)),
    ),
  };
}

export function startHungerPolicy(options: HungerPolicyOptions): HungerPolicy {
  const thresholds: HungerThresholds = { ...THRESHOLD_DEFAULTS, ...options.thresholds };
  checkThresholds(thresholds);
  const discovery = { ...DISCOVERY_DEFAULTS, ...options.discovery };
  const { seed, intervalMs, debounceMs } = { ...POLICY_DEFAULTS, ...options };
  const log = options.log ?? ((line: string) => process.stderr.write(`loop: ${line}\n`));
  const now = options.now ?? Date.now;
  const dataDir = options.dataDir;
  const key = resolveKey(options);
  const publish = options.publish ?? null;
  const requireKey = (): void => {
    if (publish && !key)
      throw new InputError('hunger policy: enabled without signingKey or signingKeyFile to sign releases');
  };
  let enabled = options.enabled ?? true;
  if (enabled) requireKey();

  const stores = options.stores ?? fileStores(options, log);
  const runner = options.runner ?? localDiscovery(dataDir, options.cli);
  const memory = emptyMemory();
  const cycles: CycleRecord[] = [];
  let cycleCount = 0;
  let currentLibrary: PolicyStatus['currentLibrary'] = null;
  const refreshCurrent = async () => {
    const v = (await stores.libraries.versions()).find((x) => x.current);
    currentLibrary = v ? { version: v.version, dir: v.where } : null;
  };
  const remembered = (rec: CycleRecord) => {
    cycleCount++;
    remember(memory, rec);
    cycles.push(rec);
    if (cycles.length > STATUS_CYCLES) cycles.shift();
  };
  const load = async () => {
    for (const rec of await stores.history.read()) remembered(rec);
    await refreshCurrent();
  };
  // files answer at once: status() shows the history from the start, as it always did
  const history = stores.history.read();
  const versions = stores.libraries.versions();
  const syncLoaded = !(history instanceof Promise) && !(versions instanceof Promise);
  if (syncLoaded) {
    for (const rec of history) remembered(rec);
    const v = versions.find((x) => x.current);
    currentLibrary = v ? { version: v.version, dir: v.where } : null;
  } else {
    // a promise nobody awaited must not go unhandled; evaluations read again
    Promise.all([history, versions]).catch(() => {});
  }

  const query = stores.hunger;
  const abort = new AbortController();
  let closed = false;
  let busy = false;
  let lastEvaluation: PolicyStatus['lastEvaluation'] = null;
  // the history is read before the first evaluation; a failed read is retried by the next one
  let loaded: Promise<void> | null = syncLoaded ? Promise.resolve() : null;
  const ensureLoaded = () =>
    (loaded ??= load().catch((err: unknown) => {
      loaded = null;
      throw err;
    }));
  let chain: Promise<unknown> = Promise.resolve();
  let pending: Promise<CycleRecord[]> | null = null;
  let debounce: NodeJS.Timeout | null = null;

  async function groupsNow(atMs: number, open: ReadonlySet<string>): Promise<HungerGroup[]> {
    const afterMs = atMs - thresholds.windowMs;
    const fleetDevices = await query.fleetDevices(afterMs, atMs);
    const out: HungerGroup[] = [];
    for (const g of await query.groups(afterMs, atMs, thresholds.gap)) {
      const key = groupKey(g.fleet, g.layer);
      const handled = memory.handledUntilMs.get(key) ?? -Infinity;
      // only hunger newer than what a cycle already handled counts again
      const fresh =
        handled > afterMs
          ? ((await query.groups(handled, atMs, thresholds.gap, g))[0] ?? { ...g, records: 0, devices: 0 })
          : g;
      const last = memory.lastStartMs.get(key);
      const until =
        last !== undefined && last + thresholds.cooldownMs > atMs ? last + thresholds.cooldownMs : null;
      out.push({
        fleet: g.fleet,
        layer: g.layer,
        hungryRecords: fresh.records,
        devices: fresh.devices,
        fleetDevices: fleetDevices.get(g.fleet) ?? 0,
        firstMs: fresh.firstMs,
        lastMs: fresh.lastMs,
        persistent: isPersistent(fresh, fleetDevices.get(g.fleet) ?? 0, thresholds),
        // a queued cycle of this group holds it back like a cooldown, until it finishes
        cooldownUntilMs: open.has(key) ? Number.POSITIVE_INFINITY : until,
      });
    }
    return out;
  }

  const context = () => ({
    dataDir,
    query,
    libraries: stores.libraries,
    runner,
    events: options.events,
    thresholds,
    discovery,
    seed,
    key,
    memory,
    publish,
    signal: abort.signal,
    log,
    now,
  });

  async function record(rec: CycleRecord): Promise<void> {
    try {
      await stores.history.append(rec);
    } catch (err) {
      log(`cannot record cycle ${rec.id}: ${(err as Error).message}`);
    }
    remembered(rec);
    await refreshCurrent().catch(() => {});
  }

  async function evaluateOnce(): Promise<CycleRecord[]> {
    if (!enabled || closed) return [];
    await ensureLoaded();
    const ran: CycleRecord[] = [];
    // first the cycles whose discovery is queued: finish them (in order) before starting others
    const queued = runner.pending ? await runner.pending() : [];
    const open = new Set<string>();
    for (const p of queued) {
      const state = p.state as CycleState;
      if (!enabled || closed) break;
      busy = true;
      try {
        const rec = await resumeCycle(
          context(),
          { ...state, record: { ...state.record, job: p.job } },
          p.parent,
          () => p.wait(abort.signal),
        );
        if (!rec) break;
        await record(rec);
        ran.push(rec);
      } finally {
        busy = false;
      }
    }
    for (const p of runner.pending ? await runner.pending() : []) {
      const r = (p.state as CycleState).record;
      open.add(groupKey(r.fleet, r.layer));
    }
    const atMs = now();
    const groups = await groupsNow(atMs, open);
    lastEvaluation = { atMs, groups };
    for (const g of groups) {
      if (!g.persistent || g.cooldownUntilMs !== null) continue;
      if (!enabled || closed) break;
      const id = `c${cycleCount + open.size + 1}`; // an open cycle keeps its number
      busy = true;
      try {
        const rec = await runCycle(context(), id, g.fleet, g.layer);
        if (!rec) break; // shut down mid-cycle: no record, it runs again after a restart
        await record(rec);
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
  if (!syncLoaded)
    ensureLoaded().catch((err: Error) => log(`cannot read the loop's history: ${err.message}`));
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
      await query.close();
    },
    status() {
      return {
        enabled,
        busy,
        currentLibrary,
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
