/**
 * `liquidkan devices add|list|mosquitto`: provision devices and list the fleet registry
 * (cloud/fleet/devices.ts). `add` writes the device's credentials file with mode 0600; the
 * password is shown nowhere else and only its scrypt hash is kept.
 *
 * For an external Mosquitto (cloud/fleet/broker/mosquitto.ts) the operator runs
 * `devices mosquitto --data DIR` once: it writes DIR/mosquitto/{passwd,acl,mosquitto.conf} with
 * the cloud's operator account. From then on `devices add` also appends each new device to
 * passwd and acl, the only moment its plaintext password exists; send Mosquitto a SIGHUP to load
 * them. Devices registered before that have no Mosquitto entry and must be provisioned again.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../shared/errors.js';
import { type Command, JSON_FLAG, optionalString, portFlag, stringFlag } from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

const DATA_FLAG = {
  type: 'string',
  value: 'DIR',
  description: 'fleet data directory (holds devices.db)',
  required: true,
} as const;

export const devicesAddCommand: Command = {
  name: 'add',
  summary: 'register a device and write its MQTT credentials file',
  usage: 'add --data DIR --fleet F --id ID --out FILE [--broker URL] [--json]',
  flags: {
    data: DATA_FLAG,
    fleet: {
      type: 'string',
      value: 'F',
      description: 'fleet id (lowercase letters, digits, -)',
      required: true,
    },
    id: {
      type: 'string',
      value: 'ID',
      description: 'device id (lowercase letters, digits, -)',
      required: true,
    },
    out: {
      type: 'string',
      value: 'FILE',
      description: 'credentials file to write (mode 0600)',
      required: true,
    },
    broker: {
      type: 'string',
      value: 'URL',
      description: 'broker URL to put in the file, e.g. mqtt://host:1883',
    },
    json: JSON_FLAG,
  },
  async run(ctx) {
    const { DeviceRegistry, writeSecretFile } = await import('../../cloud/fleet/devices.js');
    const out = resolve(stringFlag(ctx.flags, 'out'));
    if (existsSync(out))
      throw new InputError(`devices add: --out ${out} already exists; refusing to overwrite it`);
    const broker = optionalString(ctx.flags, 'broker');
    const registry = DeviceRegistry.open(stringFlag(ctx.flags, 'data'));
    try {
      const creds = registry.addDevice({
        fleet: stringFlag(ctx.flags, 'fleet'),
        id: stringFlag(ctx.flags, 'id'),
        ...(broker ? { broker } : {}),
      });
      try {
        writeSecretFile(out, `${JSON.stringify(creds, null, 2)}\n`);
        const { MosquittoFiles } = await import('../../cloud/fleet/broker/mosquitto.js');
        const mosquitto = new MosquittoFiles(MosquittoFiles.dirFor(stringFlag(ctx.flags, 'data')));
        if (mosquitto.exists) {
          mosquitto.addDevices([creds]);
          ctx.info(
            `added ${creds.username} to ${mosquitto.passwdPath} and ${mosquitto.aclPath} (reload Mosquitto with SIGHUP)`,
          );
        }
      } catch (err) {
        registry.removeDevice(creds.fleet, creds.id);
        throw err;
      }
      if (ctx.json) {
        ctx.stdout(JSON.stringify({ fleet: creds.fleet, id: creds.id, username: creds.username, out }));
        return;
      }
      ctx.info(
        `registered ${creds.fleet}/${creds.id} (user ${creds.username}); credentials in ${out} (mode 0600)`,
      );
    } finally {
      registry.close();
    }
  },
};

export const devicesListCommand: Command = {
  name: 'list',
  summary: 'list registered devices with state, last seen and installed versions',
  usage: 'list --data DIR [--json]',
  flags: { data: DATA_FLAG, json: JSON_FLAG },
  async run(ctx) {
    const { DeviceRegistry } = await import('../../cloud/fleet/devices.js');
    const registry = DeviceRegistry.open(stringFlag(ctx.flags, 'data'), { mustExist: true });
    try {
      const devices = registry.listDevices();
      if (ctx.json) {
        ctx.stdout(JSON.stringify({ devices }));
        return;
      }
      ctx.info(`${'fleet/id'.padEnd(28)} ${'state'.padEnd(8)} ${'last seen'.padEnd(24)} library  model`);
      for (const d of devices) {
        const seen = d.lastSeenMs === null ? '-' : new Date(d.lastSeenMs).toISOString();
        ctx.info(
          `${`${d.fleet}/${d.id}`.padEnd(28)} ${d.state.padEnd(8)} ${seen.padEnd(24)} ${(d.libraryVersion ?? '-').padEnd(8)} ${d.modelVersion ?? '-'}`,
        );
      }
      if (devices.length === 0) ctx.info('no devices registered');
    } finally {
      registry.close();
    }
  },
};

export const devicesMosquittoCommand: Command = {
  name: 'mosquitto',
  summary: 'write a Mosquitto config with the cloud account; later `devices add` calls add to it',
  usage: 'mosquitto --data DIR [--port P] [--host ADDR] [--operator-port P] [--json]',
  flags: {
    data: DATA_FLAG,
    port: { type: 'string', value: 'P', description: 'Mosquitto listener port for devices', default: '1883' },
    host: {
      type: 'string',
      value: 'ADDR',
      description: 'interface the device listener is on (0.0.0.0 for devices on other machines)',
      default: '127.0.0.1',
    },
    'operator-port': {
      type: 'string',
      value: 'P',
      description: "port of the cloud's listener on 127.0.0.1 (default: --port + 1)",
    },
    json: JSON_FLAG,
  },
  async run(ctx) {
    const { DeviceRegistry } = await import('../../cloud/fleet/devices.js');
    const { MosquittoFiles } = await import('../../cloud/fleet/broker/mosquitto.js');
    const { loadOrCreateOperator } = await import('../../cloud/fleet/broker/operator.js');
    const data = stringFlag(ctx.flags, 'data');
    const port = portFlag(ctx.flags, 'port', 1);
    const files = new MosquittoFiles(MosquittoFiles.dirFor(data)).setOperator(loadOrCreateOperator(data));
    const operatorPort =
      ctx.flags['operator-port'] === undefined ? port + 1 : portFlag(ctx.flags, 'operator-port', 1);
    const conf = files.writeConf({ port, host: stringFlag(ctx.flags, 'host'), operatorPort });
    const registry = DeviceRegistry.open(data);
    const known = new Set(files.usernames());
    const missing = registry
      .listDevices()
      .filter((d) => !known.has(d.username))
      .map((d) => `${d.fleet}/${d.id}`);
    registry.close();
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ conf, passwd: files.passwdPath, acl: files.aclPath, missing }));
      return;
    }
    ctx.info(
      `wrote ${conf}; run: mosquitto -c ${conf}, then: liquidkan cloud --data ${data} --broker mqtt://127.0.0.1:${operatorPort} (devices: mqtt://HOST:${port})`,
    );
    if (missing.length > 0)
      ctx.info(
        `${missing.length} registered devices have no Mosquitto entry (provision them again): ${missing.join(', ')}`,
      );
  },
};

export const devicesCommand: Command = {
  name: 'devices',
  summary: COMMAND_SUMMARIES.devices,
  usage: 'devices <add|list|mosquitto> ...',
  flags: {},
  subcommands: [devicesAddCommand, devicesListCommand, devicesMosquittoCommand],
};
