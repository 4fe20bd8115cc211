import { InputError } from '../../shared/errors.js';
import {
  type Command,
  type CommandContext,
  intFlag,
  JSON_FLAG,
  optionalString,
  portFlag,
  stringFlag,
} from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

export const cloudCommand: Command = {
  name: 'cloud',
  summary: COMMAND_SUMMARIES.cloud,
  usage:
    'cloud --data DIR [--store sqlite|postgres://USER:PASS@HOST:PORT/DB [--instance NAME] [--ingest-connections N]] [--broker embedded|mqtt://HOST:PORT] [--mqtt-port P] [--http-port H] [--host ADDR] [--trust PUBFILE]... [--key FILE [--no-close-loop]] [--json]',
  flags: {
    data: { type: 'string', value: 'DIR', description: 'cloud data directory', required: true },
    store: {
      type: 'string',
      value: 'sqlite|URL',
      description:
        "'sqlite' (files in --data) or a PostgreSQL URL shared by several cloud processes (needs an external --broker)",
      default: 'sqlite',
    },
    instance: {
      type: 'string',
      value: 'NAME',
      description: 'with --store postgres: this process, stable across restarts (default: the host name)',
    },
    'ingest-connections': {
      type: 'string',
      value: 'N',
      description: 'with --store postgres: MQTT connections this process ingests on',
      default: '4',
    },
    'session-expiry': {
      type: 'string',
      value: 'S',
      description:
        'with --store postgres: seconds the broker keeps a stopped process’s ingest sessions for its return (0 = none)',
      default: '300',
    },
    broker: {
      type: 'string',
      value: 'embedded|URL',
      description: "'embedded' or an external broker that knows the accounts",
      default: 'embedded',
    },
    'mqtt-port': {
      type: 'string',
      value: 'P',
      description: 'embedded broker port (0 = any)',
      default: '1883',
    },
    'http-port': { type: 'string', value: 'H', description: 'HTTP port (0 = any)', default: '8080' },
    host: {
      type: 'string',
      value: 'ADDR',
      description: 'interface the broker and HTTP listen on (0.0.0.0 for devices on other machines)',
      default: '127.0.0.1',
    },
    trust: {
      type: 'string',
      value: 'PUBFILE',
      multiple: true,
      description: 'refuse uploaded releases not signed by this public key (repeatable)',
    },
    'stage-timeout': {
      type: 'string',
      value: 'S',
      description: 'seconds a rollout stage waits for an offline device',
      default: '600',
    },
    key: {
      type: 'string',
      value: 'FILE',
      description:
        'release key (release.key) that signs the libraries the hunger loop makes; without it the loop is off',
    },
    'no-close-loop': { type: 'boolean', description: 'never turn fleet hunger into discovery and releases' },
    'hunger-window': {
      type: 'string',
      value: 'S',
      description: 'seconds of hunger telemetry the loop looks at',
      default: '3600',
    },
    'hunger-min-records': {
      type: 'string',
      value: 'N',
      description: 'hungry records in the window that make hunger persistent',
      default: '10',
    },
    'hunger-min-devices': {
      type: 'string',
      value: 'N',
      description: 'distinct hungry devices needed',
      default: '2',
    },
    'hunger-cooldown': {
      type: 'string',
      value: 'S',
      description: 'seconds before the same fleet and layer may trigger discovery again',
      default: '21600',
    },
    json: JSON_FLAG,
  },
  async run(ctx) {
    const mqttPort = portFlag(ctx.flags, 'mqtt-port');
    const httpPort = portFlag(ctx.flags, 'http-port');
    const storeFlag = stringFlag(ctx.flags, 'store');
    if (storeFlag !== 'sqlite') return runShared(ctx, storeFlag, httpPort);
    const { startCloud } = await import('../../cloud/fleet/service.js');
    const { hungerCloudPolicy } = await import('../../cloud/fleet/loop/cloud-policy.js');
    const key = optionalString(ctx.flags, 'key');
    const closeLoop = key !== undefined && ctx.flags['no-close-loop'] !== true;
    const policies = closeLoop
      ? [
          hungerCloudPolicy({
            signingKeyFile: key,
            thresholds: {
              windowMs: intFlag(ctx.flags, 'hunger-window', 1) * 1000,
              minHungryRecords: intFlag(ctx.flags, 'hunger-min-records', 1),
              minDevices: intFlag(ctx.flags, 'hunger-min-devices', 1),
              cooldownMs: intFlag(ctx.flags, 'hunger-cooldown', 0) * 1000,
            },
          }),
        ]
      : [];
    const cloud = await startCloud({
      dataDir: stringFlag(ctx.flags, 'data'),
      broker: stringFlag(ctx.flags, 'broker'),
      mqttPort,
      httpPort,
      host: stringFlag(ctx.flags, 'host'),
      trustedKeys: (ctx.flags['trust'] as string[] | undefined) ?? [],
      stageTimeoutMs: intFlag(ctx.flags, 'stage-timeout', 1) * 1000,
      policies,
    });
    const stopSignal = stopSignalPromise();
    const err = (line: string) => process.stderr.write(`${line}\n`);
    err(`liquidkan cloud: broker ${cloud.brokerUrl}, HTTP ${cloud.httpUrl}`);
    err(
      `liquidkan cloud: operator token in ${cloud.tokenFile}, read-only viewer token in ${cloud.viewerTokenFile}; Ctrl-C to stop`,
    );
    err(
      closeLoop
        ? 'liquidkan cloud: closing the loop: persistent fleet hunger → discovery → library release'
        : `liquidkan cloud: hunger loop off (${key === undefined ? 'no --key to sign its releases' : '--no-close-loop'})`,
    );
    if (ctx.json) {
      ctx.stdout(
        JSON.stringify({
          brokerUrl: cloud.brokerUrl,
          httpUrl: cloud.httpUrl,
          tokenFile: cloud.tokenFile,
          viewerTokenFile: cloud.viewerTokenFile,
        }),
      );
    }
    await closeOnSignal(await stopSignal, () => cloud.close(), err);
    err('liquidkan cloud: closed');
  },
};

// listen for the stop signal before saying where we are: whoever reads the addresses may
// signal at once, and a signal with no listener kills the process uncleanly
function stopSignalPromise(): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    const stop = (s: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(s);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function closeOnSignal(
  signal: NodeJS.Signals,
  close: () => Promise<void>,
  err: (line: string) => void,
): Promise<void> {
  // A second signal while closing means the person wants out now.
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  err(`liquidkan cloud: ${signal}, closing`);
  await close();
  process.off('SIGINT', force);
  process.off('SIGTERM', force);
}

/** `--store postgres://…`: one of several cloud processes on a shared store (cloud/fleet/scale). */
async function runShared(ctx: CommandContext, store: string, httpPort: number): Promise<void> {
  const { isPostgresUrl, redact } = await import('../../cloud/fleet/store/postgres/connect.js');
  if (!isPostgresUrl(store)) {
    throw new InputError(
      `--store must be 'sqlite' or a postgres://USER:PASSWORD@HOST:PORT/DB URL, got '${redact(store)}'`,
    );
  }
  const broker = stringFlag(ctx.flags, 'broker');
  if (broker === 'embedded') {
    throw new InputError(
      '--store postgres needs --broker mqtt://HOST:PORT: the processes sharing a store must share one external broker (the embedded one lives in a single process)',
    );
  }
  // the hunger loop runs on the leader with --key, as on one cloud; its discovery is queued
  // for `liquidkan worker`, and the library it makes is released through the shared release service
  const key = optionalString(ctx.flags, 'key');
  const closeLoop = key !== undefined && ctx.flags['no-close-loop'] !== true;
  if (key !== undefined) {
    const { readPrivateKey } = await import('../../shared/release/keys.js');
    readPrivateKey(key); // a missing or unreadable key is refused at start, not at the first cycle
  }
  const instance = optionalString(ctx.flags, 'instance');
  const { startSharedCloud } = await import('../../cloud/fleet/scale/service.js');
  const cloud = await startSharedCloud({
    dataDir: stringFlag(ctx.flags, 'data'),
    store,
    broker,
    httpPort,
    host: stringFlag(ctx.flags, 'host'),
    ingestConnections: intFlag(ctx.flags, 'ingest-connections', 1),
    sessionExpiryS: intFlag(ctx.flags, 'session-expiry', 0),
    trustedKeys: (ctx.flags['trust'] as string[] | undefined) ?? [],
    stageTimeoutMs: intFlag(ctx.flags, 'stage-timeout', 1) * 1000,
    ...(instance !== undefined ? { instance } : {}),
    ...(closeLoop
      ? {
          loop: {
            signingKeyFile: key,
            thresholds: {
              windowMs: intFlag(ctx.flags, 'hunger-window', 1) * 1000,
              minHungryRecords: intFlag(ctx.flags, 'hunger-min-records', 1),
              minDevices: intFlag(ctx.flags, 'hunger-min-devices', 1),
              cooldownMs: intFlag(ctx.flags, 'hunger-cooldown', 0) * 1000,
            },
          },
        }
      : {}),
  });
  const stopSignal = stopSignalPromise();
  const err = (line: string) => process.stderr.write(`${line}\n`);
  err(
    `liquidkan cloud: instance ${cloud.instance}, store ${redact(store)}, broker ${cloud.brokerUrl}, HTTP ${cloud.httpUrl}`,
  );
  err(
    `liquidkan cloud: ingesting on ${cloud.ingests.length} shared-subscription connections; operator token in ${cloud.tokenFile}, read-only viewer token in ${cloud.viewerTokenFile}; Ctrl-C to stop`,
  );
  err(
    closeLoop
      ? 'liquidkan cloud: closing the loop on the leader: persistent fleet hunger → discovery queued for `liquidkan worker --kind discovery` → library version in the store → signed release and rollout to the hungry fleet'
      : `liquidkan cloud: hunger loop off (${key === undefined ? 'no --key' : '--no-close-loop'})`,
  );
  if (ctx.json) {
    ctx.stdout(
      JSON.stringify({
        instance: cloud.instance,
        brokerUrl: cloud.brokerUrl,
        httpUrl: cloud.httpUrl,
        tokenFile: cloud.tokenFile,
        viewerTokenFile: cloud.viewerTokenFile,
      }),
    );
  }
  await closeOnSignal(await stopSignal, () => cloud.close(), err);
  err('liquidkan cloud: closed');
}
