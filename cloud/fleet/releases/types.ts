/**
 * What the release service stores and the HTTP API returns: releases, rollouts and their jobs.
 * Plain data (JSON-safe), so the same shapes go over HTTP to `liquidkan release status` and the
 * dashboard. The MQTT messages themselves are in shared/types/sync.ts.
 */
import type { ReleaseKind, ReleaseManifest } from '../../../shared/types/release.js';
import type { JobState, ReleaseRef } from '../../../shared/types/sync.js';

/** A stored release; `id` is the payload's sha256 (also the stream id devices fetch chunks on). */
export interface ReleaseRecord {
  readonly id: string;
  readonly kind: ReleaseKind;
  readonly version: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly chunks: number;
  readonly profiles: readonly string[];
  readonly keyId: string;
  /** Whether the signature was checked against the cloud's trusted keys at upload. */
  readonly signatureVerified: boolean;
  readonly createdMs: number;
}

/** A release with its signed envelope (what `jobs/notify` carries). */
export interface StoredRelease extends ReleaseRecord {
  readonly manifest: ReleaseManifest;
  readonly signature: string;
}

export const ROLLOUT_STATES = ['running', 'completed', 'cancelled', 'aborted'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/**
 * A job's state as the cloud knows it: `notified` from the moment `jobs/notify` is published
 * until the device's first update, then the device's own JobState.
 */
export type CloudJobState = 'notified' | JobState;

export interface RolloutRecord {
  readonly id: string;
  /** Release id (payload sha256). */
  readonly release: string;
  readonly kind: ReleaseKind;
  readonly version: string;
  readonly fleet: string;
  /** Cumulative percentages of the targets, strictly increasing, the last 100. */
  readonly stages: readonly number[];
  readonly abortFailureRate: number;
  /** The operator's --allow-downgrade: its jobs tell devices to install even an older release. */
  readonly allowDowngrade: boolean;
  readonly state: RolloutState;
  /** Index into `stages` of the last stage issued; -1 before the first. */
  readonly stage: number;
  /** Devices the rollout covers, in the order stages take them (sorted ids). */
  readonly targets: readonly string[];
  /** Why the rollout ended other than by completing (cancel, abort, superseded). */
  readonly reason: string | null;
  readonly createdMs: number;
  readonly updatedMs: number;
}

export interface JobRecord {
  readonly jobId: string;
  readonly rolloutId: string;
  readonly release: string;
  readonly kind: ReleaseKind;
  readonly fleet: string;
  readonly device: string;
  readonly stage: number;
  readonly state: CloudJobState;
  readonly progress: { readonly done: number; readonly total: number } | null;
  readonly reason: string | null;
  /** What `desired` held for this kind before the job; restored if the job is cancelled or rolled back. */
  readonly previous: ReleaseRef | null;
  readonly issuedMs: number;
  readonly updatedMs: number;
}

/** Job counts of a rollout by state, for listings. */
export type JobCounts = Readonly<Partial<Record<CloudJobState, number>>>;

export interface RolloutSummary extends RolloutRecord {
  readonly counts: JobCounts;
}

/** One row of `GET /api/status`: a device, what it runs, and its latest job per release kind. */
export interface DeviceStatus {
  readonly fleet: string;
  readonly id: string;
  readonly state: string;
  readonly online: boolean;
  readonly profile: string | null;
  readonly libraryVersion: string | null;
  readonly modelVersion: string | null;
  readonly jobs: readonly (JobRecord & { readonly version: string })[];
}
