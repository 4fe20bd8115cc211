/**
 * The cloud's HTTP surface is a list of routes tried in order; each returns true when it
 * answered the request. The fleet API (cloud/fleet/http) and the dashboard (cloud/dashboard)
 * are two such lists mounted by one server, so neither imports the other's internals.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FleetEvents } from '../events.js';
import type { DeviceRegistryApi, TelemetryStoreApi } from '../store/types.js';

export type HttpRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean;

/** Whether a request comes from a logged-in operator or viewer (bearer token or session cookie). */
export interface OperatorAuth {
  isOperator(req: IncomingMessage): boolean;
  /** Operator or viewer: may read the fleet, telemetry, library, model and live feed. */
  canRead(req: IncomingMessage): boolean;
}

/** What the dashboard reads; the cloud service builds it once at start. */
export interface DashboardDeps {
  readonly dataDir: string;
  readonly registry: DeviceRegistryApi;
  readonly store: TelemetryStoreApi;
  readonly events: FleetEvents;
  readonly auth: OperatorAuth;
  /** Directory of the current library (library.json), or null before the first one. */
  libraryDir(): string | null;
  /** Directory of the current exported model bundle (manifest.json + ONNX), or null. */
  modelBundleDir(): string | null;
}
