/**
 * A client of the cloud's HTTP API (api.ts) for the release commands and scripts: one method per
 * route, and errors that say what to do (the cloud is not running, the token is wrong, the
 * release is unknown) as InputErrors, so the CLI prints them as one line.
 */
import { InputError } from '../../../shared/errors.js';
import type { DeviceStatus, JobRecord, ReleaseRecord, RolloutSummary } from '../releases/types.js';

export interface CloudClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  readonly baseUrl: string;
  /** The operator token; needed for writes. */
  readonly token?: string;
  /** Per request, in ms. @defaultValue 120000 */
  readonly timeoutMs?: number;
}

export const CLOUD_CLIENT_DEFAULTS = Object.freeze({ baseUrl: 'http://127.0.0.1:8080', timeoutMs: 120_000 });

export interface RolloutRequest {
  readonly release: string;
  readonly fleet: string;
  readonly stages?: readonly number[];
  readonly abortFailureRate?: number;
  /** Let devices install it even when they have run a newer release. */
  readonly allowDowngrade?: boolean;
}

export class CloudClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: CloudClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new InputError(`--cloud '${options.baseUrl}' is not a URL (e.g. http://127.0.0.1:8080)`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new InputError(`--cloud '${options.baseUrl}' must be an http:// or https:// address`);
    }
    this.baseUrl = base.href.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? CLOUD_CLIENT_DEFAULTS.timeoutMs;
  }

  /** Whether the cloud accepts this client's token (false without one). */
  async isOperator(): Promise<boolean> {
    return (await this.#request<{ operator: boolean }>('GET', '/api/session')).operator;
  }

  /** Fails early with a clear message when writes would be refused. */
  async requireOperator(): Promise<void> {
    if (this.#token === undefined) {
      throw new InputError(
        'no operator token: give --token FILE (the cloud writes DATA/operator.token) or set LIQUIDKAN_TOKEN',
      );
    }
    if (!(await this.isOperator())) {
      throw new InputError(
        `the cloud at ${this.baseUrl} refused the operator token (401); check --token or LIQUIDKAN_TOKEN`,
      );
    }
  }

  uploadRelease(bytes: Uint8Array): Promise<{ release: ReleaseRecord; created: boolean }> {
    return this.#request('POST', '/api/releases', bytes);
  }

  startRollout(request: RolloutRequest): Promise<{ rollout: RolloutSummary }> {
    return this.#request('POST', '/api/rollouts', request);
  }

  rollouts(fleet?: string): Promise<{ rollouts: RolloutSummary[] }> {
    return this.#request('GET', `/api/rollouts${fleet ? `?fleet=${encodeURIComponent(fleet)}` : ''}`);
  }

  rollout(id: string): Promise<{ rollout: RolloutSummary; jobs: JobRecord[] }> {
    return this.#request('GET', `/api/rollouts/${encodeURIComponent(id)}`);
  }

  cancelRollout(id: string): Promise<{ rollout: RolloutSummary }> {
    return this.#request('POST', `/api/rollouts/${encodeURIComponent(id)}/cancel`, {});
  }

  abortRollout(id: string): Promise<{ rollout: RolloutSummary }> {
    return this.#request('POST', `/api/rollouts/${encodeURIComponent(id)}/abort`, {});
  }

  status(fleet?: string): Promise<{ devices: DeviceStatus[] }> {
    return this.#request('GET', `/api/status${fleet ? `?fleet=${encodeURIComponent(fleet)}` : ''}`);
  }

  async #request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) {
      headers['content-type'] = 'application/octet-stream';
      payload = body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new InputError(
        `cannot reach the cloud at ${this.baseUrl} (${why}); is 'liquidkan cloud' running there?`,
        {
          cause: err,
        },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InputError(`${method} ${this.baseUrl}${path}: HTTP ${res.status}, not a JSON answer`);
    }
    if (!res.ok) {
      const error = (json as { error?: unknown })?.error;
      const message = typeof error === 'string' ? error : `HTTP ${res.status}`;
      if (res.status === 401) {
        throw new InputError(
          `the cloud refused the request (401): ${message}; give --token FILE or set LIQUIDKAN_TOKEN`,
        );
      }
      throw new InputError(`${method} ${path} failed (HTTP ${res.status}): ${message}`);
    }
    return json as T;
  }
}
