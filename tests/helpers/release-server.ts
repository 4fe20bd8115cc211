/**
 * A minimal cloud side for device sync tests, on the operator account: it publishes release jobs
 * (retained `jobs/notify`), answers `stream/{sid}/get` with chunk frames, and records the
 * devices' job updates, `reported`, `birth`, `status` and telemetry batches. Faults are switched per chunk index,
 * each firing once: `corrupt` sends bytes that pass the frame's own hash but not the signed
 * manifest, `corruptFrame` breaks the frame's hash, `drop` ignores the request, `error` answers
 * a StreamError. `paused` stops answering altogether, `pauseFrom` from a chunk index on. It stands in for cloud/fleet/releases,
 * which is built against the same contract (shared/types/sync.ts).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { chunkAt, encodeChunkFrame, sha256Hex } from '../../shared/release/chunks.js';
import type { Release } from '../../shared/release/create.js';
import { JOB_FORMAT, type JobUpdate, type Reported } from '../../shared/types/sync.js';
import { type CmdName, tryParseTopic } from '../../shared/types/topics.js';

export interface ReleaseServerOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** @defaultValue 'test-release-server' */
  readonly clientId?: string;
}

export interface JobSpec {
  readonly jobId: string;
  /** @defaultValue 'r-' + jobId */
  readonly rolloutId?: string;
  /** The signed envelope as sent (tests may tamper with it). */
  readonly envelope: unknown;
  /** @defaultValue the payload sha256 from the envelope's manifest */
  readonly streamId?: string;
  readonly cancelled?: boolean;
  /** The operator's --allow-downgrade. */
  readonly allowDowngrade?: boolean;
}

export interface Faults {
  corrupt: Set<number>;
  corruptFrame: Set<number>;
  drop: Set<number>;
  error: Set<number>;
  paused: boolean;
  pauseFrom: number | null;
}

const prefix = (fleet: string, device: string) => `lk/v1/${fleet}/${device}`;

export class ReleaseServer {
  readonly updates: { device: string; update: JobUpdate }[] = [];
  readonly reported = new Map<string, Reported>();
  readonly births = new Map<string, Record<string, unknown>>();
  readonly status = new Map<string, string>();
  readonly requests: { device: string; sid: string; chunk: number }[] = [];
  /** Telemetry batches in arrival order. */
  readonly telemetry: { device: string; kind: string; stream: string; seq: number; records: unknown[] }[] =
    [];
  readonly faults: Faults = {
    corrupt: new Set(),
    corruptFrame: new Set(),
    drop: new Set(),
    error: new Set(),
    paused: false,
    pauseFrom: null,
  };
  private readonly payloads = new Map<string, { payload: Uint8Array; chunkBytes: number }>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.receive(topic, payload));
  }

  static async start(o: ReleaseServerOptions): Promise<ReleaseServer> {
    const client = await mqtt.connectAsync(o.url, {
      username: o.username,
      password: o.password,
      clientId: o.clientId ?? 'test-release-server',
      clean: false,
      reconnectPeriod: 100,
      connectTimeout: 5000,
    });
    const server = new ReleaseServer(client);
    await client.subscribeAsync(
      [
        'lk/v1/+/+/stream/+/get',
        'lk/v1/+/+/jobs/+/update',
        'lk/v1/+/+/reported',
        'lk/v1/+/+/birth',
        'lk/v1/+/+/status',
        'lk/v1/+/+/tel/+',
        'lk/v1/+/+/evt/drift',
      ],
      { qos: 1 },
    );
    return server;
  }

  /** Serve a release's chunks on the stream named by its payload sha256. */
  serve(release: Release): void {
    this.payloads.set(sha256Hex(release.payload), {
      payload: release.payload,
      chunkBytes: release.envelope.manifest.chunkBytes,
    });
  }

  async notify(fleet: string, device: string, job: JobSpec): Promise<void> {
    const manifest = (job.envelope as { manifest?: { sha256?: string } }).manifest;
    const body = {
      format: JOB_FORMAT,
      formatVersion: 1,
      jobId: job.jobId,
      rolloutId: job.rolloutId ?? `r-${job.jobId}`,
      envelope: job.envelope,
      streamId: job.streamId ?? manifest?.sha256 ?? '0'.repeat(64),
      cancelled: job.cancelled ?? false,
      ...(job.allowDowngrade ? { allowDowngrade: true } : {}),
      createdAt: new Date().toISOString(),
    };
    await this.client.publishAsync(`${prefix(fleet, device)}/jobs/notify`, JSON.stringify(body), {
      qos: 1,
      retain: true,
    });
  }

  async cmd(fleet: string, device: string, name: CmdName, args?: Record<string, string | number | boolean>) {
    const body = { id: `c${Date.now()}`, ...(args ? { args } : {}), at: new Date().toISOString() };
    await this.client.publishAsync(`${prefix(fleet, device)}/cmd/${name}`, JSON.stringify(body), { qos: 1 });
  }

  /** Retained `desired` for a device. */
  async desired(fleet: string, device: string, body: Record<string, unknown>): Promise<void> {
    const msg = { ...body, updatedAt: new Date().toISOString() };
    await this.client.publishAsync(`${prefix(fleet, device)}/desired`, JSON.stringify(msg), {
      qos: 1,
      retain: true,
    });
  }

  async publishRaw(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /** Updates of one job, in arrival order. */
  states(jobId: string): string[] {
    return this.updates.filter((u) => u.update.jobId === jobId).map((u) => u.update.state);
  }

  final(jobId: string): JobUpdate | undefined {
    const terminal = ['succeeded', 'failed', 'rolled-back', 'rejected', 'cancelled'];
    return this.updates.findLast((u) => u.update.jobId === jobId && terminal.includes(u.update.state))
      ?.update;
  }

  async waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
    const start = Date.now();
    while (!check()) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  waitForFinal(jobId: string, timeoutMs?: number): Promise<JobUpdate> {
    return this.waitFor(
      `a final update of job ${jobId}`,
      () => this.final(jobId) !== undefined,
      timeoutMs,
    ).then(() => this.final(jobId)!);
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }

  private receive(topic: string, payload: Buffer): void {
    const t = tryParseTopic(topic);
    if (!t) return;
    const text = payload.toString('utf8');
    try {
      if (t.kind === 'jobs/update')
        this.updates.push({ device: t.device, update: JSON.parse(text) as JobUpdate });
      else if (t.kind === 'reported') this.reported.set(t.device, JSON.parse(text) as Reported);
      else if (t.kind === 'birth') this.births.set(t.device, JSON.parse(text) as Record<string, unknown>);
      else if (t.kind === 'status') this.status.set(t.device, text);
      else if (t.kind === 'stream/get') this.answer(t.fleet, t.device, t.rest, text);
      else if (t.kind === 'tel/hunger' || t.kind === 'tel/perf' || t.kind === 'evt/drift') {
        const b = JSON.parse(text) as { stream: string; seq: number; records: unknown[] };
        this.telemetry.push({
          device: t.device,
          kind: t.kind,
          stream: b.stream,
          seq: b.seq,
          records: b.records,
        });
      }
    } catch {
      // a test device sending garbage is the test's business; keep serving
    }
  }

  private answer(fleet: string, device: string, sid: string, text: string): void {
    const { chunk } = JSON.parse(text) as { chunk: number };
    this.requests.push({ device, sid, chunk });
    const f = this.faults;
    if (f.paused || (f.pauseFrom !== null && chunk >= f.pauseFrom)) return;
    if (f.drop.delete(chunk)) return;
    const body = this.frameFor(sid, chunk);
    this.client
      .publishAsync(
        `${prefix(fleet, device)}/stream/${sid}/data`,
        typeof body === 'string' ? body : Buffer.from(body),
        {
          qos: 1,
        },
      )
      .catch(() => {});
  }

  /** What to answer a request for `chunk` on `sid` with, faults applied. */
  private frameFor(sid: string, chunk: number): string | Uint8Array {
    const f = this.faults;
    const once = (set: Set<number>) => set.delete(chunk);
    const served = this.payloads.get(sid);
    if (!served) return JSON.stringify({ error: `unknown stream ${sid}` });
    if (once(f.error)) return JSON.stringify({ error: 'chunk store unavailable', chunk });
    let c: ReturnType<typeof chunkAt>;
    try {
      c = chunkAt(served.payload, chunk, served.chunkBytes);
    } catch (err) {
      return JSON.stringify({ error: (err as Error).message, chunk });
    }
    if (once(f.corrupt)) {
      const bytes = Uint8Array.from(c.bytes);
      bytes[0] = bytes[0]! ^ 0xff;
      return encodeChunkFrame({ index: chunk, sha256: sha256Hex(bytes), bytes });
    }
    const frame = encodeChunkFrame(c);
    if (once(f.corruptFrame)) {
      const bad = Uint8Array.from(frame);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
      return bad;
    }
    return frame;
  }
}
