/**
 * Closing the loop (issue 6 item 5): the cloud watches hunger telemetry from the fleet, and when a
 * layer stays hungry on enough devices it runs discovery on the pooled samples, makes a new
 * library version and releases it to that fleet. Types and defaults only; policy.ts runs it.
 */
import type { KeyObject } from 'node:crypto';
import { HUNGER_DEFAULTS } from '../../train/hunger.js';
import type { FleetEvents } from '../events.js';
import type { LoopStores } from '../store/types.js';
import type { TelemetryStore } from '../telemetry/store.js';
import type { DiscoveryRunner } from './discovery-runner.js';

/** When hunger counts as persistent, per fleet and layer. */
export interface HungerThresholds {
  /** Sliding window over received time, in ms. @defaultValue 3600000 (1 h) */
  readonly windowMs: number;
  /** Hungry records within the window. @defaultValue 10 */
  readonly minHungryRecords: number;
  /** Distinct devices among them. @defaultValue 2 */
  readonly minDevices: number;
  /**
   * Fraction of the fleet's devices that sent hunger telemetry in the window (for any layer)
   * which must be hungry on this layer; 0 turns the check off. @defaultValue 0
   */
  readonly minDeviceFraction: number;
  /**
   * A record counts as hungry when `hungry` is true or its gap exceeds this.
   * @defaultValue HUNGER_DEFAULTS.gap (0.05, the trainer's own threshold)
   */
  readonly gap: number;
  /** After a cycle starts for a fleet and layer, no other starts for it this long, in ms. @defaultValue 21600000 (6 h) */
  readonly cooldownMs: number;
}

export const THRESHOLD_DEFAULTS: Readonly<HungerThresholds> = Object.freeze({
  windowMs: 3_600_000,
  minHungryRecords: 10,
  minDevices: 2,
  minDeviceFraction: 0,
  gap: HUNGER_DEFAULTS.gap,
  cooldownMs: 21_600_000,
});

/** How discovery runs: a child process of the project's CLI (`liquidkan discover --job`). */
export interface DiscoverySettings {
  /** L-BFGS steps per phase (`--steps`). @defaultValue 20 */
  readonly steps: number;
  /** Initial grid intervals (`--grid`). @defaultValue 5 */
  readonly grid: number;
  /** The child is killed after this long, in ms. @defaultValue 600000 */
  readonly timeoutMs: number;
  /** Samples pooled into one job (the job format allows any count ≥ 10). @defaultValue 1024 */
  readonly maxSamples: number;
  /** Fewer pooled samples than this and the cycle fails at stage 'samples'. @defaultValue 32 */
  readonly minSamples: number;
  /** Most hungry records read for samples, newest first. @defaultValue 512 */
  readonly maxRecords: number;
}

export const DISCOVERY_DEFAULTS: Readonly<DiscoverySettings> = Object.freeze({
  steps: 20,
  grid: 5,
  timeoutMs: 600_000,
  maxSamples: 1024,
  minSamples: 32,
  maxRecords: 512,
});

export interface HungerPolicyOptions {
  /** The SQLite telemetry store the hunger is read from (or give `stores`). */
  readonly store?: TelemetryStore;
  /**
   * Where hunger is read and the loop's history and library versions are kept.
   * @defaultValue the SQLite store's hunger table, DATA/loop/history.jsonl and DATA/library/
   */
  readonly stores?: LoopStores;
  /** Where discovery runs. @defaultValue localDiscovery(dataDir, cli): a child process here */
  readonly runner?: DiscoveryRunner;
  readonly events: FleetEvents;
  /** The cloud's data directory: the policy writes DATA/loop/ and DATA/library/. */
  readonly dataDir: string;
  /** Off: hunger is not evaluated and nothing is written; evaluate() returns []. @defaultValue true */
  readonly enabled?: boolean;
  /**
   * The library discovery grows: a directory holding library.json, 'classic', or null for the
   * classic one. @defaultValue () => currentLibraryDir(dataDir)
   */
  readonly currentLibraryDir?: () => string | null;
  /** Ed25519 private key that signs library releases (or give signingKeyFile); needed with `publish`. */
  readonly signingKey?: KeyObject;
  /** PEM file of that key, read once at start. */
  readonly signingKeyFile?: string;
  /**
   * Uploads a release file and starts its rollout to one fleet (the release service). Without
   * it no release is made: a cycle ends once its library is installed (outcome 'installed').
   */
  readonly publish?: (releaseFile: string, fleet: string) => Promise<void>;
  readonly thresholds?: Partial<HungerThresholds>;
  readonly discovery?: Partial<DiscoverySettings>;
  /** Seeds the sample pooling and discovery. @defaultValue 0 */
  readonly seed?: number;
  /** Periodic evaluation (catches cooldowns running out), in ms; 0 = only on hunger events. @defaultValue 60000 */
  readonly intervalMs?: number;
  /** Delay between a hunger event and the evaluation it wakes, in ms (batches arrive in bursts). @defaultValue 1000 */
  readonly debounceMs?: number;
  /** The node binary and CLI script that run discovery. @defaultValue process.execPath and the package's bin/liquidkan.js */
  readonly cli?: { readonly node: string; readonly script: string };
  readonly log?: (line: string) => void;
  /** Clock, ms since the epoch; must be the store's clock (windows are over received time). @defaultValue Date.now */
  readonly now?: () => number;
}

export const POLICY_DEFAULTS = Object.freeze({ seed: 0, intervalMs: 60_000, debounceMs: 1000 });

/** One fleet and layer as the last evaluation saw it. */
export interface HungerGroup {
  readonly fleet: string;
  readonly layer: number;
  /** Hungry records in the window, newer than what earlier cycles handled. */
  readonly hungryRecords: number;
  readonly devices: number;
  /** Devices of this fleet with any hunger telemetry in the window. */
  readonly fleetDevices: number;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly persistent: boolean;
  /** Until when a previous cycle holds this group back, if it does. */
  readonly cooldownUntilMs: number | null;
}

export type CycleStage = 'samples' | 'library' | 'discovery' | 'install' | 'release' | 'publish';

export type CycleOutcome =
  /** A new library version was made and published to the fleet. */
  | 'released'
  /** Discovery found only shapes the library already had; the current library went to the fleet instead. */
  | 'republished'
  /** Discovery found nothing new and the fleet already had the current library from this loop. */
  | 'nothing-new'
  /**
   * A new library version was made and installed, and not released: the loop was started
   * without `publish` (no release service to hand it to).
   */
  | 'installed'
  | 'failed';

/** A new entry and how well it (and the best entry before it) explains the hungry shape. */
export interface EntryFit {
  readonly id: string;
  readonly name: string;
  readonly form: string;
  /** The extractor's error of ψ against the KAN edge (library metadata), RMS on z ∈ [-1, 1]. */
  readonly extractRms: number;
  /** Affine-invariant distance of the pooled hungry curve from this shape (0 = exact, ~1 = explains nothing). */
  readonly hungerDistance: number;
  /** RMS of (entry with its natural affine)(u) − φ over the pooled samples, relative to std φ. */
  readonly naturalRelRms: number;
}

/** One cycle: what triggered it and what came of it; one line of DATA/loop/history.jsonl. */
export interface CycleRecord {
  /** `c{n}` with n counting cycles in this data directory. */
  readonly id: string;
  readonly fleet: string;
  readonly layer: number;
  readonly startedMs: number;
  readonly finishedMs: number;
  readonly trigger: {
    readonly hungryRecords: number;
    readonly devices: readonly string[];
    readonly firstMs: number;
    /** Newest received time included: hunger up to here is handled once the cycle succeeds. */
    readonly lastMs: number;
    readonly meanGap: number | null;
    readonly meanEntropy: number;
    readonly samples: number;
  };
  /** Job file, relative to the data directory. */
  readonly job: string | null;
  readonly parent: { readonly version: number; readonly hash: string } | null;
  readonly discovery: {
    readonly version: number;
    readonly hash: string;
    readonly testRmse: number;
    readonly formula: string;
    readonly wallMs: number;
    readonly added: readonly EntryFit[];
    /** The parent library's entry closest to the hungry shape. */
    readonly bestParent: { readonly name: string; readonly hungerDistance: number } | null;
  } | null;
  /** The library version now current (DATA/library/v{N}), when one was installed. */
  readonly library: { readonly version: number; readonly dir: string } | null;
  readonly release: {
    readonly file: string;
    readonly version: string;
    readonly sha256: string;
    readonly keyId: string;
  } | null;
  readonly published: boolean;
  readonly outcome: CycleOutcome;
  readonly error: { readonly stage: CycleStage; readonly message: string } | null;
}

export interface PolicyStatus {
  readonly enabled: boolean;
  /** A cycle is running (discovery, release or publish). */
  readonly busy: boolean;
  readonly currentLibrary: { readonly version: number; readonly dir: string } | null;
  readonly lastEvaluation: { readonly atMs: number; readonly groups: readonly HungerGroup[] } | null;
  /** The most recent cycles, oldest first (at most 100). */
  readonly cycles: readonly CycleRecord[];
}

export interface HungerPolicy {
  /** Unsubscribes, stops the timer and waits for a running cycle to finish. */
  close(): Promise<void>;
  status(): PolicyStatus;
  /** Evaluates now (after any evaluation in flight) and runs the cycles it triggers. */
  evaluate(): Promise<CycleRecord[]>;
  /** Switches the policy on or off at run time. */
  setEnabled(on: boolean): void;
}
