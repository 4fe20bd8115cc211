/**
 * What the device says about itself (DESIGN rows `birth` and `reported`): the runtime and the
 * engine running, the profile, the library and model versions, the boot number; what each slot
 * holds active, the last job's outcome and the settings in force.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../shared/io/package-root.js';
import type { ReleaseKind } from '../../shared/types/release.js';
import type { Birth, ReleaseRef, Reported } from '../../shared/types/sync.js';
import type { ModelRunner } from './runner.js';
import type { InstallSlots } from './slots.js';
import type { DeviceState } from './state.js';

export interface DeviceFactsSource {
  readonly slots: Readonly<Record<ReleaseKind, InstallSlots>>;
  readonly runner: ModelRunner;
  readonly state: DeviceState;
  /** The board's firmware profile name. */
  readonly profile: string;
  readonly boot: number;
  /** The performance window in force, ms. */
  readonly windowMs: number | null;
}

let version: string | null = null;

/** The liquidkan package version ('0.0.0' when it cannot be read). */
export function runtimeVersion(): string {
  if (version !== null) return version;
  try {
    const v = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown })
      .version;
    version = typeof v === 'string' ? v.slice(0, 64) : '0.0.0';
  } catch {
    version = '0.0.0';
  }
  return version;
}

/** Versions running now: a slot's release, else (library) the running model's library version. */
export function runningVersions(s: Pick<DeviceFactsSource, 'slots' | 'runner'>): {
  libraryVersion: string | null;
  modelVersion: string | null;
} {
  const lib = s.slots.library.pointer().active?.release.version;
  const model = s.slots.model.pointer().active?.release.version;
  const running = s.runner.current?.started.loaded.model.library.version;
  return {
    libraryVersion: lib ?? (running !== undefined ? String(running) : null),
    modelVersion: model ?? null,
  };
}

export function birthMessage(s: DeviceFactsSource): Birth {
  return {
    runtime: {
      name: 'liquidkan-device',
      version: runtimeVersion(),
      engine: s.runner.current?.started.info.name ?? 'none',
    },
    profile: s.profile,
    ...runningVersions(s),
    boot: s.boot,
    at: new Date().toISOString(),
  };
}

export function reportedMessage(s: DeviceFactsSource): Reported {
  const active = (kind: ReleaseKind): ReleaseRef | null => s.slots[kind].pointer().active?.release ?? null;
  const last = s.state.lastJob;
  const settings = s.state.settings;
  return {
    ...runningVersions(s),
    profile: s.profile,
    active: { library: active('library'), model: active('model') },
    lastJob: last ? { jobId: last.update.jobId, state: last.update.state } : null,
    settings: {
      ...(settings.adaptTau !== undefined ? { adaptTau: settings.adaptTau } : {}),
      ...(s.windowMs !== null ? { telemetryIntervalMs: s.windowMs } : {}),
    },
    at: new Date().toISOString(),
  };
}
