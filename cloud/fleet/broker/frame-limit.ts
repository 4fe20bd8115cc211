/**
 * A byte bound on inbound MQTT packets, enforced on the transport before aedes buffers them.
 * aedes's parser would otherwise hold a packet of any announced size (up to 256 MiB) in memory.
 *
 * The guard reads each packet's fixed header, MQTT 3.1.1 §2.2: one byte of type and flags,
 * then the Remaining Length as a variable byte integer of at most four bytes (§2.2.3).
 * A packet whose size exceeds the limit, or a malformed length, closes that connection, as an
 * MQTT 5 server does for a packet over its Maximum Packet Size (§3.1.2.11.4, reason 0x95).
 * Everything else passes through unchanged, in both directions.
 *
 * Outbound, the same wrapper bounds what waits to be written to a peer that does not read
 * (OutboundLimit): past the bound the connection is closed, so a slow reader loses its own
 * queue instead of growing the broker's memory.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

export class FrameLimitError extends Error {
  readonly bytes: number;
  readonly limit: number;
  constructor(message: string, bytes: number, limit: number) {
    super(message);
    this.name = 'FrameLimitError';
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** Tracks packet boundaries across chunks: header byte, length bytes, then the body. */
export class FrameScanner {
  /** Largest packet accepted, in bytes; may be raised once the connection is authenticated. */
  limit: number;
  #phase: 'type' | 'length' | 'body' = 'type';
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #bodyLeft = 0;

  constructor(maxPacketBytes: number) {
    this.limit = maxPacketBytes;
  }

  /** Consumes a chunk; throws FrameLimitError at the first oversized or malformed packet. */
  scan(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#phase === 'body') {
        const take = Math.min(this.#bodyLeft, chunk.length - i);
        i += take;
        this.#bodyLeft -= take;
        if (this.#bodyLeft === 0) this.#phase = 'type';
      } else if (this.#phase === 'type') {
        i++;
        this.#phase = 'length';
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
      } else {
        const byte = chunk[i++]!;
        this.#length += (byte & 0x7f) * this.#multiplier;
        this.#multiplier *= 128;
        this.#lengthBytes++;
        if (byte & 0x80) {
          if (this.#lengthBytes === 4) throw new FrameLimitError('malformed remaining length', 0, this.limit);
          continue;
        }
        const total = 1 + this.#lengthBytes + this.#length;
        if (total > this.limit) {
          throw new FrameLimitError(
            `packet of ${total} bytes over the ${this.limit}-byte limit`,
            total,
            this.limit,
          );
        }
        this.#bodyLeft = this.#length;
        this.#phase = this.#length === 0 ? 'type' : 'body';
      }
    }
  }
}

/** Bytes written to a connection that may wait unsent; may be raised once it has authenticated. */
export interface OutboundLimit {
  maxQueuedBytes: number;
}

/**
 * Wraps a socket in a Duplex that aedes can handle like the socket itself. `onReject` is
 * called once, before the connection is destroyed, for an oversized or malformed packet, or
 * for a peer that lets more than `outbound.maxQueuedBytes` pile up unread.
 */
export function guardSocket(
  socket: Socket,
  scanner: FrameScanner,
  onReject: (err: FrameLimitError) => void,
  outbound: OutboundLimit = { maxQueuedBytes: Number.POSITIVE_INFINITY },
): Duplex {
  const guarded: Duplex = new Duplex({
    allowHalfOpen: false,
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      // Handed to the socket at once, so a peer that does not read never makes aedes wait for
      // 'drain' (aedes then holds every later message for every client in its queue); what the
      // peer leaves unread piles up in this socket's buffer alone, and past the bound it goes.
      const queued = socket.writableLength + chunk.length;
      if (queued > outbound.maxQueuedBytes) {
        onReject(
          new FrameLimitError(
            `${queued} bytes unread by the peer, over the ${outbound.maxQueuedBytes}-byte bound`,
            queued,
            outbound.maxQueuedBytes,
          ),
        );
        callback();
        guarded.destroy();
        return;
      }
      socket.write(chunk);
      callback();
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    try {
      scanner.scan(chunk);
    } catch (err) {
      socket.pause();
      onReject(err as FrameLimitError);
      guarded.destroy();
      return;
    }
    if (!guarded.push(chunk)) socket.pause();
  });
  socket.on('end', () => guarded.push(null));
  socket.on('close', () => guarded.destroy());
  socket.on('error', (err) => guarded.destroy(err));
  return guarded;
}
