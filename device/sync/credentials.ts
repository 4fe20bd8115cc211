/**
 * The device's credentials file, as `liquidkan devices add` writes it (cloud/fleet/devices.ts
 * DeviceCredentials): {broker?, fleet, id, username, password}. The username doubles as the MQTT
 * client id, which the broker's policy requires (cloud/fleet/broker/auth.ts).
 */

import { InputError } from '../../shared/errors.js';
import { readJsonWithSchema } from '../../shared/io/json-file.js';
import { ID_PATTERN } from '../../shared/types/topics.js';
import * as z from '../../shared/zod.js';

export const SyncCredentialsSchema = z.strictObject({
  broker: z.optional(z.string().check(z.minLength(1))),
  fleet: z.string().check(z.regex(ID_PATTERN)),
  id: z.string().check(z.regex(ID_PATTERN)),
  username: z.string().check(z.minLength(1), z.maxLength(256)),
  password: z.string().check(z.minLength(1), z.maxLength(1024)),
});
export type SyncCredentials = z.output<typeof SyncCredentialsSchema>;

export function readCredentials(file: string): SyncCredentials {
  return readJsonWithSchema(SyncCredentialsSchema, file);
}

/**
 * The credentials checked against what the command line says: a fleet or id given there must
 * match the file (a device never talks as another one); `broker` replaces the file's.
 */
export function resolveCredentials(
  creds: SyncCredentials,
  given: { readonly broker?: string; readonly fleet?: string; readonly id?: string },
): SyncCredentials & { readonly broker: string } {
  for (const key of ['fleet', 'id'] as const) {
    const v = given[key];
    if (v !== undefined && v !== creds[key]) {
      throw new InputError(`--${key} '${v}' does not match the credentials file's ${key} '${creds[key]}'`);
    }
  }
  const broker = given.broker ?? creds.broker;
  if (!broker) throw new InputError('no broker URL: pass --broker or provision the device with one');
  return { ...creds, broker };
}
