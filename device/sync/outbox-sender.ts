/**
 * Drains the outbox to the broker: each batch is published at QoS 1 on its topic, and leaves the
 * outbox only when the broker's PUBACK arrives. Up to `window` batches are in flight at once, in
 * outbox order; mqtt.js resends unacknowledged ones itself after a reconnect, so the sender only
 * starts new batches while connected and otherwise waits for `kick()`.
 */
import type { Outbox, OutboxEntry, TelemetryKind } from './outbox.js';

export interface OutboxSenderOptions {
  /** Publish at QoS 1; resolves at PUBACK. */
  readonly publish: (kind: TelemetryKind, payload: Uint8Array) => Promise<void>;
  readonly connected: () => boolean;
  /** Batches in flight at most. @defaultValue 8 */
  readonly window?: number;
  readonly log?: (line: string) => void;
}

export class OutboxSender {
  private readonly inFlight = new Set<OutboxEntry['batch']>();
  private readonly waiters: (() => void)[] = [];
  private readonly window: number;
  /** Batches acknowledged since start. */
  sent = 0;

  constructor(
    readonly outbox: Outbox,
    private readonly o: OutboxSenderOptions,
  ) {
    this.window = o.window ?? 8;
  }

  /** Start sending what is pending (after an append, on connect). */
  kick(): void {
    if (!this.o.connected()) return;
    for (const entry of this.outbox.unsent()) {
      if (this.inFlight.size >= this.window) return;
      if (this.inFlight.has(entry.batch)) continue;
      this.inFlight.add(entry.batch);
      this.o.publish(entry.kind, entry.payload).then(
        () => {
          this.inFlight.delete(entry.batch);
          try {
            this.outbox.ack(entry);
            this.sent++;
          } catch (err) {
            // the ack could not be written (full disk): the batch goes again later, and the cloud
            // stores it once
            this.o.log?.(
              `telemetry batch ${entry.batch.stream}/${entry.batch.seq}: ack not recorded: ${(err as Error).message}`,
            );
            return;
          }
          this.settle();
          this.kick();
        },
        (err: unknown) => {
          // the client was stopped: the batch stays in the outbox for the next run
          this.inFlight.delete(entry.batch);
          this.o.log?.(
            `telemetry batch ${entry.batch.stream}/${entry.batch.seq} not sent: ${(err as Error).message}`,
          );
          this.settle();
        },
      );
    }
  }

  /** Wake flush() waiters after each outcome. */
  private settle(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves true once the outbox is empty, false if `timeoutMs` passes first. */
  async flush(timeoutMs: number): Promise<boolean> {
    this.kick();
    if (this.outbox.size.batches === 0) return true;
    const deadline = Date.now() + timeoutMs;
    while (this.outbox.size.batches > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      this.kick();
    }
    return true;
  }
}
