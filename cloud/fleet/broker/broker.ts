/**
 * The embedded broker (DESIGN "Releases and sync (MQTT)": aedes is the default; everything
 * else talks to it over plain MQTT, so an external broker with the same accounts and ACLs can
 * replace it). aedes on a node:net server, with:
 * - authentication against the device registry, plus one operator account (operator.ts);
 * - the ACLs of auth.ts (a device touches only its own topics);
 * - a byte bound on inbound packets (frame-limit.ts), larger for the operator's release chunks;
 *   an oversized or malformed packet is logged and its connection closed;
 * - last wills, published by aedes when a connection dies without DISCONNECT [MQTT-3.1.2-8];
 * - persistent sessions (clean = false) kept by aedes's default in-memory persistence: the
 *   subscriptions, queued QoS 1 messages, retained messages and wills of a session survive a
 *   client's reconnect, but not a broker restart (devices republish `birth` and `status` on
 *   every connect, so retained state comes back as they reconnect), except the operator's
 *   persistent subscriptions, kept in the data dir (operator-sessions.ts) so that telemetry
 *   sent before the cloud reconnects is queued for it.
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { MAX_CHUNK_BYTES } from '../../../shared/types/release.js';
import { DeviceRegistry } from '../devices.js';
import { type BrokerPolicy, createPolicy, type OperatorAccount } from './auth.js';
import { FrameScanner, guardSocket, type OutboundLimit } from './frame-limit.js';
import { aedesHooks } from './hooks.js';
import { LoginGuard, type LoginGuardOptions } from './login-guard.js';
import { loadOrCreateOperator } from './operator.js';
import { restoreOperatorSessions } from './operator-sessions.js';

export interface FleetBrokerOptions {
  /** Directory holding devices.db (the registry) and operator.json. */
  readonly dataDir: string;
  /** Interface to listen on. @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** TCP port; 0 lets the OS choose (read it back from FleetBroker.port). @defaultValue 1883 */
  readonly port?: number;
  /**
   * Largest inbound MQTT packet from a device (and before CONNECT is accepted), header
   * included, in bytes. @defaultValue 262144 (256 KiB)
   */
  readonly maxPacketBytes?: number;
  /**
   * Largest inbound packet from the operator account, whose `stream/{sid}/data` chunks may be
   * up to MAX_CHUNK_BYTES (shared/types/release.ts). @defaultValue MAX_CHUNK_BYTES + 65536
   */
  readonly operatorMaxPacketBytes?: number;
  /**
   * Bytes that may wait unsent to a device that does not read (chunks it asked for); past it
   * the connection is closed (frame-limit.ts OutboundLimit). @defaultValue 4194304 (4 MiB)
   */
  readonly maxQueuedBytes?: number;
  /** The same bound for the operator's connections (they receive all telemetry). @defaultValue 256 MiB */
  readonly operatorMaxQueuedBytes?: number;
  /** Time a new connection has to send CONNECT, in ms. @defaultValue 30000 */
  readonly connectTimeoutMs?: number;
  /** An open registry to use; by default the broker opens `{dataDir}/devices.db` itself. */
  readonly registry?: DeviceRegistry;
  /** Bounds on password checks (login-guard.ts). @defaultValue LOGIN_GUARD_DEFAULTS */
  readonly loginGuard?: LoginGuardOptions;
  /** Replacements for any of the default policy's functions (auth.ts). */
  readonly policy?: Partial<BrokerPolicy>;
  /** One line per refused connection, denied topic or dropped packet. @defaultValue stderr */
  readonly log?: (line: string) => void;
}

export const BROKER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 1883,
  maxPacketBytes: 256 * 1024,
  operatorMaxPacketBytes: MAX_CHUNK_BYTES + 64 * 1024,
  maxQueuedBytes: 4 * 1024 * 1024,
  operatorMaxQueuedBytes: 256 * 1024 * 1024,
  connectTimeoutMs: 30_000,
});

export interface FleetBroker {
  readonly host: string;
  readonly port: number;
  /** e.g. mqtt://127.0.0.1:1883 */
  readonly url: string;
  readonly operator: OperatorAccount;
  readonly registry: DeviceRegistry;
  readonly aedes: Aedes;
  /** The bound on password checks, with its refusal counts. */
  readonly loginGuard: LoginGuard;
  /** Closes the listener, every connection and aedes (and the registry if the broker opened it). */
  close(): Promise<void>;
}

export async function startFleetBroker(options: FleetBrokerOptions): Promise<FleetBroker> {
  const o = { ...BROKER_DEFAULTS, ...options };
  const log = options.log ?? ((line: string) => process.stderr.write(`broker: ${line}\n`));
  const ownRegistry = !options.registry;
  const registry = options.registry ?? DeviceRegistry.open(o.dataDir);
  const operator = loadOrCreateOperator(o.dataDir);
  const policy: BrokerPolicy = { ...createPolicy(registry, operator), ...options.policy };

  // Each connection's packet and queue bounds, raised for the operator once it has authenticated.
  const limits = new WeakMap<
    object,
    { scanner: FrameScanner; outbound: OutboundLimit; address: string; settle: () => void }
  >();
  const guard = new LoginGuard(options.loginGuard);
  const operators = new WeakSet<object>();
  const hooks = aedesHooks(policy, log, {
    guard,
    addressOf: (client) => limits.get(client.conn)?.address ?? '',
    onAuthenticated: (client, principal) => {
      const l = limits.get(client.conn);
      l?.settle();
      if (principal.kind === 'operator') operators.add(client);
      if (l && principal.kind === 'operator') {
        l.scanner.limit = o.operatorMaxPacketBytes;
        l.outbound.maxQueuedBytes = o.operatorMaxQueuedBytes;
      }
    },
  });
  const aedes = await Aedes.createBroker({ ...hooks, connectTimeout: o.connectTimeoutMs });
  aedes.on('clientError', (client, err) => log(`client '${client.id}' dropped: ${err.message}`));
  aedes.on('connectionError', (client, err) =>
    log(`connection '${client.id ?? ''}' dropped: ${err.message}`),
  );
  // the cloud's subscriptions outlive a restart, so what devices send before it is back waits
  // for it (operator-sessions.ts)
  const kept = await restoreOperatorSessions(o.dataDir, aedes, log);
  aedes.on('clientReady', (client) => {
    if (operators.has(client) && client.clean) kept.cleared(client.id);
  });
  aedes.on('subscribe', (subs, client) => {
    if (client && operators.has(client) && !client.clean) kept.subscribed(client.id, subs);
  });
  aedes.on('unsubscribe', (topics, client) => {
    if (client && operators.has(client) && !client.clean) kept.unsubscribed(client.id, topics);
  });

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    // request/response over MQTT (chunk downloads) stalls ~40 ms per round trip under Nagle
    socket.setNoDelay(true);
    const address = socket.remoteAddress ?? '';
    // a flooding or backed-off address is closed before aedes parses anything (login-guard.ts)
    if (!guard.admitConnection(address)) {
      const { busy, backoff } = guard.refused;
      if ((busy + backoff) % 100 === 1) {
        log(
          `closing connections from ${address} at once: too many logins pending or failed (${busy + backoff} refused so far)`,
        );
      }
      socket.destroy();
      return;
    }
    let settled = false;
    const settle = () => {
      if (!settled) guard.settleConnection(address);
      settled = true;
    };
    socket.once('close', settle);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const scanner = new FrameScanner(o.maxPacketBytes);
    const outbound: OutboundLimit = { maxQueuedBytes: o.maxQueuedBytes };
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const guarded = guardSocket(
      socket,
      scanner,
      (err) => log(`dropped packet from ${peer}: ${err.message}; connection closed`),
      outbound,
    );
    limits.set(guarded, { scanner, outbound, address, settle });
    aedes.handle(guarded);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (ownRegistry) registry.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    host: o.host,
    port,
    url: `mqtt://${o.host === '0.0.0.0' ? '127.0.0.1' : o.host}:${port}`,
    operator,
    registry,
    aedes,
    loginGuard: guard,
    close() {
      closing ??= (async () => {
        const listening = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await listening;
        if (ownRegistry) registry.close();
      })();
      return closing;
    },
  };
}
