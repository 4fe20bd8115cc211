/**
 * The device's telemetry outbox (DESIGN "Releases and sync (MQTT)": "Telemetry is never lost to
 * a restart: the device keeps a bounded on-disk outbox"). Batches for `tel/hunger`, `tel/perf`
 * and `evt/drift` are appended to segment files before they are sent, and leave once the broker
 * has acknowledged them (PUBACK, QoS 1). Layout:
 *
 *   DATA/outbox/seg-0000000001.log, seg-0000000002.log, …   append-only, fsynced per record
 *
 * A record is `length u32 LE | crc32 u32 LE | body (length bytes of JSON)`; the body is one of
 *   {"b": {kind, stream, seq, records}}   a batch
 *   {"a": [stream, seq]}                  that batch was acknowledged
 *   {"d": [stream, seq]}                  that batch was dropped to keep within the bounds
 * An ack or drop is always written after its batch, so a segment is deleted once every batch in
 * it is done, oldest segment first. Opening the outbox replays every segment in order; a record
 * cut short or garbled by a crash (bad length or CRC) ends its segment, and the torn tail of the
 * last segment is truncated away before anything new is appended.
 *
 * `seq` counts batches within a stream, across kinds; the stream is one per install and process
 * start (`{install}-b{boot}`, state.ts), so a (stream, seq) pair is never reused, even after the
 * data directory is reset, and the cloud stores each batch once however often it is replayed
 * (TelemetryBatchSchema).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../shared/errors.js';
import { MAX_BATCH_RECORDS, type TelemetryBatch } from '../../shared/types/telemetry.js';
import { crc32 } from './crc32.js';

export const TELEMETRY_KINDS = ['tel/hunger', 'tel/perf', 'evt/drift', 'evt/detection'] as const;
export type TelemetryKind = (typeof TELEMETRY_KINDS)[number];

export interface OutboxOptions {
  /** Directory of the segment files, e.g. DATA/outbox. */
  readonly dir: string;
  /** Stream id of new batches (one per process start, e.g. `b{boot}`). */
  readonly stream: string;
  /** Bytes of unsent batches kept at most; the oldest are dropped beyond. @defaultValue 8 MiB */
  readonly maxBytes?: number;
  /** Unsent batches kept at most. @defaultValue 10000 */
  readonly maxBatches?: number;
  /** A new segment file is started once the current one reaches this size. @defaultValue 1 MiB */
  readonly segmentBytes?: number;
  /** Largest batch accepted, bytes of JSON (under the broker's packet bound). @defaultValue 128 KiB */
  readonly maxBatchBytes?: number;
  readonly log?: (line: string) => void;
}

export const OUTBOX_DEFAULTS = Object.freeze({
  maxBytes: 8 * 1024 * 1024,
  maxBatches: 10_000,
  segmentBytes: 1024 * 1024,
  maxBatchBytes: 128 * 1024,
});

export interface OutboxEntry {
  readonly kind: TelemetryKind;
  readonly batch: TelemetryBatch;
  /** The batch as it goes on the wire (JSON, UTF-8). */
  readonly payload: Uint8Array;
}

interface Held extends OutboxEntry {
  readonly key: string;
  readonly segment: number;
}

const HEADER_BYTES = 8;
/** A length above this is garbage, not a record. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;
const SEGMENT_NAME = /^seg-(\d{10})\.log$/;

const keyOf = (stream: string, seq: number) => `${stream}/${seq}`;
const segmentName = (n: number) => `seg-${String(n).padStart(10, '0')}.log`;

function frame(body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const out = Buffer.alloc(HEADER_BYTES + json.length);
  out.writeUInt32LE(json.length, 0);
  out.writeUInt32LE(crc32(json), 4);
  json.copy(out, HEADER_BYTES);
  return out;
}

/** The record starting at `off`, or null when none whole and valid starts there. */
function recordAt(bytes: Buffer, off: number): { body: unknown; next: number } | null {
  if (off + HEADER_BYTES > bytes.length) return null;
  const len = bytes.readUInt32LE(off);
  if (len > MAX_RECORD_BYTES || off + HEADER_BYTES + len > bytes.length) return null;
  // every body is a JSON object: a cheap test before the CRC when hunting for the next record
  if (len === 0 || bytes[off + HEADER_BYTES] !== 0x7b) return null;
  const body = bytes.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
  if (crc32(body) !== bytes.readUInt32LE(off + 4)) return null;
  try {
    return { body: JSON.parse(body.toString('utf8')), next: off + HEADER_BYTES + len };
  } catch {
    return null;
  }
}

/**
 * The records of one segment file. A garbled stretch (a torn write, a flipped byte) is skipped
 * up to the next offset where a whole record with a valid CRC starts, so one bad byte costs its
 * own record, not every later one. `torn` counts the stretches skipped; `end` is the byte after
 * the last good record (a torn tail after it is cut off the segment being appended to).
 */
function readSegment(bytes: Buffer): { bodies: unknown[]; end: number; torn: number } {
  const bodies: unknown[] = [];
  let off = 0;
  let end = 0;
  let torn = 0;
  while (off < bytes.length) {
    const rec = recordAt(bytes, off);
    if (rec) {
      bodies.push(rec.body);
      off = end = rec.next;
      continue;
    }
    torn++;
    let next = off + 1;
    while (next + HEADER_BYTES <= bytes.length && !recordAt(bytes, next)) next++;
    if (next + HEADER_BYTES > bytes.length) break;
    off = next;
  }
  return { bodies, end, torn };
}

function isKind(v: unknown): v is TelemetryKind {
  return typeof v === 'string' && (TELEMETRY_KINDS as readonly string[]).includes(v);
}

function pairOf(v: unknown): [string, number] | null {
  return Array.isArray(v) && typeof v[0] === 'string' && Number.isSafeInteger(v[1]) ? [v[0], v[1]] : null;
}

export class Outbox {
  readonly dir: string;
  readonly stream: string;
  private readonly o: Required<Omit<OutboxOptions, 'log'>>;
  private readonly log: (line: string) => void;
  /** Unsent batches in append order (Map keeps insertion order). */
  private readonly held = new Map<string, Held>();
  /** Batches not yet done, per segment number. */
  private readonly open = new Map<number, number>();
  private heldBytes = 0;
  private segment = 0;
  private fd: number | null = null;
  private segmentSize = 0;
  private nextSeq = 0;
  /** Batches dropped to keep within the bounds since open(). */
  dropped = 0;
  /** Torn or garbled stretches found (and skipped) when opening. */
  readonly torn: number;

  constructor(options: OutboxOptions) {
    this.o = { ...OUTBOX_DEFAULTS, ...options };
    this.dir = options.dir;
    this.stream = options.stream;
    this.log = options.log ?? (() => {});
    mkdirSync(this.dir, { recursive: true });
    this.torn = this.replay();
  }

  /** The highest n of a `[{install}-]b{n}` stream in `dir`'s segments (a floor for the boot counter). */
  static highestBoot(dir: string): number {
    let highest = 0;
    if (!existsSync(dir)) return 0;
    for (const name of readdirSync(dir)) {
      if (!SEGMENT_NAME.test(name)) continue;
      for (const body of readSegment(readFileSync(join(dir, name))).bodies) {
        const b = (body as { b?: { stream?: unknown } }).b;
        const m = typeof b?.stream === 'string' ? /^(?:[0-9a-f]+-)?b(\d+)$/.exec(b.stream) : null;
        if (m) highest = Math.max(highest, Number(m[1]));
      }
    }
    return highest;
  }

  private replay(): number {
    const segments = readdirSync(this.dir)
      .map((n) => SEGMENT_NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let torn = 0;
    const done = new Set<string>();
    for (const [i, n] of segments.entries()) {
      const path = join(this.dir, segmentName(n));
      const bytes = readFileSync(path);
      const r = readSegment(bytes);
      if (r.torn > 0) {
        torn += r.torn;
        this.log(
          `outbox: ${path}: ${r.torn} torn or garbled stretch(es) skipped (a crash mid-write, or corruption); the records after them were kept`,
        );
        if (i === segments.length - 1 && r.end < bytes.length) {
          const fd = openSync(path, 'r+');
          try {
            ftruncateSync(fd, r.end);
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
        }
      }
      this.open.set(n, 0);
      for (const body of r.bodies) this.replayRecord(body, n, done);
    }
    for (const key of done) this.forget(key);
    this.segment = segments.at(-1) ?? 0;
    this.deleteDoneSegments();
    return torn;
  }

  private replayRecord(body: unknown, segment: number, done: Set<string>): void {
    if (body === null || typeof body !== 'object') return;
    const rec = body as { b?: Record<string, unknown>; a?: unknown; d?: unknown };
    if (rec.b) {
      const { kind, stream, seq, records } = rec.b;
      if (
        !isKind(kind) ||
        typeof stream !== 'string' ||
        !Number.isSafeInteger(seq) ||
        !Array.isArray(records)
      ) {
        return;
      }
      if (stream === this.stream) this.nextSeq = Math.max(this.nextSeq, (seq as number) + 1);
      this.hold({ stream, seq: seq as number, records }, kind, segment);
      return;
    }
    const pair = pairOf(rec.a) ?? pairOf(rec.d);
    if (pair) done.add(keyOf(pair[0], pair[1]));
  }

  private hold(batch: TelemetryBatch, kind: TelemetryKind, segment: number): Held {
    const payload = new Uint8Array(Buffer.from(JSON.stringify(batch), 'utf8'));
    const h: Held = { key: keyOf(batch.stream, batch.seq), kind, batch, payload, segment };
    this.held.set(h.key, h);
    this.heldBytes += payload.length;
    this.open.set(segment, (this.open.get(segment) ?? 0) + 1);
    return h;
  }

  private forget(key: string): Held | undefined {
    const h = this.held.get(key);
    if (!h) return undefined;
    this.held.delete(key);
    this.heldBytes -= h.payload.length;
    this.open.set(h.segment, (this.open.get(h.segment) ?? 1) - 1);
    return h;
  }

  /** Unsent batches, oldest first. */
  pending(): OutboxEntry[] {
    return [...this.unsent()];
  }

  /**
   * Unsent batches, oldest first, read lazily: the sender stops at its window, so a backlog of
   * thousands is not copied after every acknowledgement.
   */
  unsent(): IterableIterator<OutboxEntry> {
    return this.held.values();
  }

  get size(): { batches: number; bytes: number } {
    return { batches: this.held.size, bytes: this.heldBytes };
  }

  private append(body: unknown): number {
    const bytes = frame(body);
    if (this.fd === null || this.segmentSize >= this.o.segmentBytes) this.rotate();
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd!, bytes, off, bytes.length - off);
    fsyncSync(this.fd!);
    this.segmentSize += bytes.length;
    return this.segment;
  }

  private rotate(): void {
    const starting = this.fd === null;
    if (this.fd !== null) closeSync(this.fd);
    const current = join(this.dir, segmentName(this.segment));
    // after a restart, keep appending to the last segment unless it is full
    if (starting && this.segment > 0 && existsSync(current) && statSync(current).size < this.o.segmentBytes) {
      this.fd = openSync(current, 'a');
      this.segmentSize = statSync(current).size;
      return;
    }
    this.segment += 1;
    this.open.set(this.segment, this.open.get(this.segment) ?? 0);
    this.fd = openSync(join(this.dir, segmentName(this.segment)), 'a');
    this.segmentSize = 0;
    this.deleteDoneSegments();
  }

  /** Delete finished segments, oldest first, never the one being written. */
  private deleteDoneSegments(): void {
    for (const n of [...this.open.keys()].sort((a, b) => a - b)) {
      if (n === this.segment || (this.open.get(n) ?? 0) > 0) return;
      rmSync(join(this.dir, segmentName(n)), { force: true });
      this.open.delete(n);
    }
  }

  /**
   * Persist a batch of `records` for `kind` with the next seq of this stream. When the outbox is
   * full the oldest unsent batches are dropped (and counted) to make room.
   */
  add(kind: TelemetryKind, records: readonly unknown[]): OutboxEntry {
    if (records.length === 0 || records.length > MAX_BATCH_RECORDS) {
      throw new InputError(
        `a telemetry batch holds 1 to ${MAX_BATCH_RECORDS} records, got ${records.length}`,
      );
    }
    const batch: TelemetryBatch = { stream: this.stream, seq: this.nextSeq, records: [...records] };
    const size = Buffer.byteLength(JSON.stringify(batch));
    if (size > this.o.maxBatchBytes || size > this.o.maxBytes) {
      throw new InputError(
        `a ${kind} batch of ${size} bytes is over the outbox's ${Math.min(this.o.maxBatchBytes, this.o.maxBytes)}-byte limit`,
      );
    }
    while (
      this.held.size > 0 &&
      (this.heldBytes + size > this.o.maxBytes || this.held.size + 1 > this.o.maxBatches)
    ) {
      const oldest = this.held.values().next().value!;
      this.append({ d: [oldest.batch.stream, oldest.batch.seq] });
      this.forget(oldest.key);
      this.dropped++;
      if (this.dropped % 100 === 1) {
        this.log(`outbox full: dropped the oldest unsent batch (${this.dropped} dropped so far)`);
      }
    }
    this.nextSeq++;
    const segment = this.append({ b: { kind, ...batch } });
    const h = this.hold(batch, kind, segment);
    this.deleteDoneSegments();
    return h;
  }

  /** The broker has the batch: record that, and forget it. A batch already gone is ignored. */
  ack(entry: OutboxEntry): void {
    const key = keyOf(entry.batch.stream, entry.batch.seq);
    if (!this.held.has(key)) return;
    this.append({ a: [entry.batch.stream, entry.batch.seq] });
    this.forget(key);
    this.deleteDoneSegments();
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
