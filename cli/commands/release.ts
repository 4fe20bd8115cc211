/**
 * `liquidkan release create`: sign a library or an exported model bundle into one release file
 * (DESIGN "Releases and sync (MQTT)": "a release is a manifest … signed with Ed25519"). The
 * file is 'LKR1' | envelope length u32 LE | envelope JSON | payload (shared/release/release-file.ts).
 * `release publish|status|cancel|abort` talk to a running cloud's HTTP API
 * (cloud/fleet/http/client.ts) with the operator token from --token FILE or LIQUIDKAN_TOKEN.
 */

import { readFileSync } from 'node:fs';
import type { CloudClient } from '../../cloud/fleet/http/client.js';
import { InputError } from '../../shared/errors.js';
import { createRelease } from '../../shared/release/create.js';
import { readPrivateKey } from '../../shared/release/keys.js';
import { decodeReleaseFile, writeReleaseFile } from '../../shared/release/release-file.js';
import type { CommandContext, FlagSpec } from '../command.js';
import { type Command, intFlag, JSON_FLAG, numberFlag, optionalString, stringFlag } from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

export const releaseCreateCommand: Command = {
  name: 'create',
  summary: 'sign a library or an exported model into a release file',
  usage: 'create (--library classic|DIR | --model DIR) --key FILE --out FILE [--downgrade]',
  flags: {
    library: {
      type: 'string',
      value: 'classic|DIR',
      description: "'classic' or a directory with library.json",
    },
    model: { type: 'string', value: 'DIR', description: "an exported bundle directory ('liquidkan export')" },
    key: { type: 'string', value: 'FILE', description: 'Ed25519 private key (release.key)', required: true },
    out: { type: 'string', value: 'FILE', description: 'release file to write', required: true },
    'chunk-bytes': { type: 'string', value: 'N', description: 'bytes per MQTT chunk', default: '65536' },
    downgrade: {
      type: 'boolean',
      description: 'sign the downgrade marker: devices that ran a newer release install this one',
    },
    version: {
      type: 'string',
      value: 'V',
      description: 'release version (default: library version or hash)',
    },
    profile: {
      type: 'string',
      value: 'NAME',
      multiple: true,
      description: 'firmware profile allowed to install it (repeatable; default: all / the bundle profile)',
    },
    json: JSON_FLAG,
  },
  run(ctx) {
    const library = optionalString(ctx.flags, 'library');
    const model = optionalString(ctx.flags, 'model');
    if ((library === undefined) === (model === undefined)) {
      throw new InputError('give exactly one of --library classic|DIR or --model DIR');
    }
    const profiles = ctx.flags['profile'] as string[] | undefined;
    const version = optionalString(ctx.flags, 'version');
    const release = createRelease({
      kind: library !== undefined ? 'library' : 'model',
      dir: (library ?? model)!,
      key: readPrivateKey(stringFlag(ctx.flags, 'key')),
      chunkBytes: intFlag(ctx.flags, 'chunk-bytes', 1),
      ...(version !== undefined ? { version } : {}),
      ...(profiles?.length ? { profiles } : {}),
      ...(ctx.flags['downgrade'] === true ? { downgrade: true } : {}),
    });
    const out = stringFlag(ctx.flags, 'out');
    writeReleaseFile(out, release);
    const m = release.envelope.manifest;
    if (ctx.json) {
      ctx.stdout(JSON.stringify(m));
      return;
    }
    ctx.info(`wrote ${out}: ${m.kind} release ${m.version}, ${m.size} bytes in ${m.chunks.length} chunks`);
    ctx.info(`  sha256 ${m.sha256}, signed by key ${m.keyId}, profiles ${m.profiles.join(', ')}`);
  },
};

const CLOUD_FLAGS: Readonly<Record<string, FlagSpec>> = {
  cloud: {
    type: 'string',
    value: 'URL',
    description: "the cloud's HTTP address",
    default: 'http://127.0.0.1:8080',
  },
  token: {
    type: 'string',
    value: 'FILE',
    description:
      'token file: the operator token (DATA/operator.token) to publish or cancel, it or the viewer token (DATA/viewer.token) to read (default: $LIQUIDKAN_TOKEN)',
  },
  json: JSON_FLAG,
};

function readToken(ctx: CommandContext): string | undefined {
  const file = optionalString(ctx.flags, 'token');
  if (file === undefined) return process.env['LIQUIDKAN_TOKEN']?.trim() || undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new InputError(`--token ${file}: cannot read the token file (${(err as Error).message})`, {
      cause: err,
    });
  }
}

async function cloudClient(ctx: CommandContext): Promise<CloudClient> {
  const { CloudClient } = await import('../../cloud/fleet/http/client.js');
  const token = readToken(ctx);
  return new CloudClient({
    baseUrl: stringFlag(ctx.flags, 'cloud'),
    ...(token !== undefined ? { token } : {}),
  });
}

function onePositional(ctx: CommandContext, what: string): string {
  if (ctx.positionals.length !== 1) throw new InputError(`give exactly one ${what}`);
  return ctx.positionals[0]!;
}

export const releasePublishCommand: Command = {
  name: 'publish',
  summary: 'upload a release file to the cloud and start a staged rollout',
  usage:
    'publish FILE --fleet F [--cloud URL] [--stages 10,50,100] [--abort-failure-rate 0.2] [--allow-downgrade] [--token FILE] [--json]',
  flags: {
    fleet: { type: 'string', value: 'F', description: 'fleet to roll out to', required: true },
    stages: {
      type: 'string',
      value: 'P,P,...',
      description: 'cumulative percentages per stage',
      default: '10,50,100',
    },
    'abort-failure-rate': {
      type: 'string',
      value: 'R',
      description: 'abort when more than this fraction of finished jobs failed',
      default: '0.2',
    },
    'allow-downgrade': {
      type: 'boolean',
      description: 'devices install it even when they have run a newer release (rollback protection off)',
    },
    ...CLOUD_FLAGS,
  },
  async run(ctx) {
    const file = onePositional(ctx, 'release FILE (from release create)');
    const stages = stringFlag(ctx.flags, 'stages')
      .split(',')
      .map((p) => {
        const v = p.trim() === '' ? Number.NaN : Number(p);
        if (!Number.isFinite(v)) throw new InputError(`--stages: '${p}' is not a number`);
        return v;
      });
    const abortFailureRate = numberFlag(ctx.flags, 'abort-failure-rate');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch (err) {
      throw new InputError(`${file}: cannot read the release file (${(err as Error).message})`, {
        cause: err,
      });
    }
    decodeReleaseFile(bytes, file);
    const client = await cloudClient(ctx);
    await client.requireOperator();
    const { release, created } = await client.uploadRelease(bytes);
    const { rollout } = await client.startRollout({
      release: release.id,
      fleet: stringFlag(ctx.flags, 'fleet'),
      stages,
      abortFailureRate,
      ...(ctx.flags['allow-downgrade'] === true ? { allowDowngrade: true } : {}),
    });
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ release, created, rollout }));
      return;
    }
    ctx.info(
      `${created ? 'uploaded' : 'already on the cloud:'} ${release.kind} release ${release.version} (${release.id.slice(0, 12)})`,
    );
    ctx.info(
      `rollout ${rollout.id} to fleet ${rollout.fleet}: ${rollout.targets.length} devices, stages ${rollout.stages.join('/')}%, ${rollout.state}`,
    );
  },
};

export const releaseStatusCommand: Command = {
  name: 'status',
  summary: "show each device's release job and installed versions, and the rollouts",
  usage: 'status [--cloud URL] [--fleet F] [--json]',
  flags: { fleet: { type: 'string', value: 'F', description: 'only this fleet' }, ...CLOUD_FLAGS },
  async run(ctx) {
    const client = await cloudClient(ctx);
    const fleet = optionalString(ctx.flags, 'fleet');
    const [{ devices }, { rollouts }] = await Promise.all([client.status(fleet), client.rollouts(fleet)]);
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ devices, rollouts }));
      return;
    }
    for (const r of rollouts) {
      const counts = Object.entries(r.counts)
        .map(([state, n]) => `${n} ${state}`)
        .join(', ');
      ctx.info(
        `rollout ${r.id}: ${r.kind} ${r.version} → ${r.fleet}, ${r.state}, stage ${r.stage + 1}/${r.stages.length} (${counts || 'no jobs'})`,
      );
    }
    ctx.info(
      `${'fleet/id'.padEnd(28)} ${'state'.padEnd(8)} ${'library'.padEnd(10)} ${'model'.padEnd(14)} job`,
    );
    for (const d of devices) {
      const jobs = d.jobs
        .map(
          (j) =>
            `${j.kind} ${j.version} ${j.state}${j.progress ? ` ${j.progress.done}/${j.progress.total}` : ''}`,
        )
        .join('; ');
      ctx.info(
        `${`${d.fleet}/${d.id}`.padEnd(28)} ${d.state.padEnd(8)} ${(d.libraryVersion ?? '-').padEnd(10)} ${(d.modelVersion ?? '-').padEnd(14)} ${jobs || '-'}`,
      );
    }
    if (devices.length === 0) ctx.info('no devices');
  },
};

function endRolloutCommand(action: 'cancel' | 'abort'): Command {
  return {
    name: action,
    summary:
      action === 'cancel'
        ? 'cancel a rollout: stop jobs in flight, leave installed devices alone'
        : 'abort a rollout: stop jobs in flight and roll back devices that installed it',
    usage: `${action} ID [--cloud URL] [--token FILE] [--json]`,
    flags: { ...CLOUD_FLAGS },
    async run(ctx) {
      const id = onePositional(ctx, 'rollout ID');
      const client = await cloudClient(ctx);
      const { rollout } =
        action === 'cancel' ? await client.cancelRollout(id) : await client.abortRollout(id);
      if (ctx.json) {
        ctx.stdout(JSON.stringify({ rollout }));
        return;
      }
      ctx.info(`rollout ${rollout.id}: ${rollout.state} (${rollout.reason ?? ''})`);
    },
  };
}

export const releaseCancelCommand = endRolloutCommand('cancel');
export const releaseAbortCommand = endRolloutCommand('abort');

export const releaseCommand: Command = {
  name: 'release',
  summary: COMMAND_SUMMARIES.release,
  usage: 'release <create|publish|status|cancel|abort> ...',
  flags: {},
  subcommands: [
    releaseCreateCommand,
    releasePublishCommand,
    releaseStatusCommand,
    releaseCancelCommand,
    releaseAbortCommand,
  ],
};
