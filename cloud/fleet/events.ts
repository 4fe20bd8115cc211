/**
 * The fleet's live event feed inside the cloud process: the ingest, the release service and
 * the registry publish here; the dashboard's server-sent events and tests subscribe. Listeners
 * run synchronously and must not throw; a throwing listener is removed and logged, so one bad
 * subscriber never stops ingest.
 */
import type { JobState } from '../../shared/types/sync.js';
import type { TelemetryKind } from './telemetry/kinds/index.js';

export type FleetEvent =
  /** A device's status, birth or reported facts changed (read the registry for the record). */
  | { readonly type: 'device'; readonly fleet: string; readonly device: string }
  /** A telemetry batch was stored. */
  | {
      readonly type: 'telemetry';
      readonly kind: TelemetryKind;
      readonly fleet: string;
      readonly device: string;
      readonly records: readonly Record<string, unknown>[];
    }
  /** A release job changed state on a device. */
  | {
      readonly type: 'job';
      readonly rolloutId: string;
      readonly jobId: string;
      readonly fleet: string;
      readonly device: string;
      readonly state: JobState;
    }
  /** A rollout was created, advanced a stage, finished, was cancelled or aborted. */
  | { readonly type: 'rollout'; readonly rolloutId: string; readonly state: string }
  /** A new library version was written (by discovery closing the loop, or an operator). */
  | { readonly type: 'library'; readonly version: string };

export type FleetListener = (event: FleetEvent) => void;

export class FleetEvents {
  readonly #listeners = new Set<FleetListener>();

  constructor(private readonly log: (line: string) => void = (l) => process.stderr.write(`events: ${l}\n`)) {}

  subscribe(listener: FleetListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: FleetEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (err) {
        this.#listeners.delete(l);
        this.log(
          `listener removed after it threw on a ${event.type} event: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }
}
