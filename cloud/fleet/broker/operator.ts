/**
 * The operator (cloud) account: one username with its own random secret, written to
 * `{dataDir}/operator.json` (mode 0600) the first time the broker starts and read back after.
 * The cloud services (telemetry subscriber, release publisher, dashboard) connect with it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import { z } from 'zod';
import { SchemaError } from '../../../shared/errors.js';
import { writeSecretFile } from '../devices.js';
import type { OperatorAccount } from './auth.js';

/** Has no '.' so it can never equal a device username (`{fleet}.{id}`). */
export const OPERATOR_USERNAME = 'cloud';

const OperatorFile = z.object({ username: z.string().min(1), password: z.string().min(16) });

export function operatorFile(dataDir: string): string {
  return join(dataDir, 'operator.json');
}

export function loadOrCreateOperator(dataDir: string): OperatorAccount {
  const path = operatorFile(dataDir);
  if (existsSync(path)) {
    const parsed = OperatorFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new SchemaError(path, '', parsed.error.message);
    return parsed.data;
  }
  const account = { username: OPERATOR_USERNAME, password: randomBytes(32).toString('base64url') };
  writeSecretFile(path, `${JSON.stringify(account, null, 2)}\n`);
  return account;
}

export interface OperatorClientSettings {
  readonly username: string;
  readonly password: string;
  readonly clientId: string;
  /** Keep the session (subscriptions, queued QoS 1 messages) across reconnects. */
  readonly persistentSession: boolean;
  readonly connectTimeoutMs: number;
}

/**
 * The mqtt.js options every cloud client on the operator account uses (the telemetry ingest,
 * the release publisher), so they reconnect and keep their sessions the same way.
 */
export function operatorClientOptions(o: OperatorClientSettings): IClientOptions {
  return {
    username: o.username,
    password: o.password,
    clientId: o.clientId,
    clean: !o.persistentSession,
    connectTimeout: o.connectTimeoutMs,
    reconnectPeriod: 1000,
  };
}

/**
 * TCP_NODELAY on each (re)connection: the cloud's clients send small acknowledgements and
 * answers that would otherwise wait for a delayed ACK (~40 ms a round trip).
 */
export function noDelayOnConnect(client: MqttClient): void {
  const set = () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  client.on('connect', set);
  if (client.connected) set();
}
