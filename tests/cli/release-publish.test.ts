/**
 * `liquidkan release publish|status|cancel|abort` against a running `liquidkan cloud`: publish
 * uploads a signed release and starts a staged rollout, status shows each device's job, cancel
 * and abort end rollouts; a missing or wrong token, an unreachable cloud, an unknown rollout and
 * a file that is not a release fail with one clear line and a non-zero exit.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudProcess, startCloudProcess } from '../cloud/fleet/http/cloud-process.js';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

let work: string;
let cloud: CloudProcess;
let releaseFile: string;

async function ok(args: string[], env: Record<string, string> = {}) {
  const r = await runCliEnv(args, env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** runCli with extra environment variables (the child takes its environment when spawned). */
function runCliEnv(args: string[], env: Record<string, string>) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return runCli(args, work);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-publish');
  await ok(['keys', 'generate', '--out', join(work, 'keys'), '--json']);
  releaseFile = join(work, 'classic.lkr');
  const key = join(work, 'keys', 'release.key');
  await ok(['release', 'create', '--library', 'classic', '--key', key, '--out', releaseFile, '--json']);
  cloud = await startCloudProcess(join(work, 'data'), ['--trust', join(work, 'keys', 'release.pub')]);
}, 60_000);
afterAll(async () => {
  expect(await cloud?.stop()).toBe(0);
  rmSync(work, { recursive: true, force: true });
});

describe('liquidkan release publish / status / cancel / abort', () => {
  it('publishes a release to a fleet and shows the rollout in status', async () => {
    const data = join(work, 'data');
    for (const id of ['dev-a', 'dev-b']) {
      await ok([
        'devices',
        'add',
        '--data',
        data,
        '--fleet',
        'pub',
        '--id',
        id,
        '--out',
        join(work, `${id}.json`),
        '--json',
      ]);
    }
    const pub = await ok([
      'release',
      'publish',
      releaseFile,
      '--fleet',
      'pub',
      '--cloud',
      cloud.httpUrl,
      '--token',
      cloud.tokenFile,
      '--stages',
      '50,100',
      '--abort-failure-rate',
      '0.3',
      '--json',
    ]);
    expect(pub.created).toBe(true);
    expect(pub.release).toMatchObject({ kind: 'library', signatureVerified: true });
    expect(pub.rollout).toMatchObject({
      fleet: 'pub',
      stages: [50, 100],
      abortFailureRate: 0.3,
      stage: 0,
      state: 'running',
    });

    // reads need a login: the read-only viewer token is enough (issue 16 item 3)
    const viewer = ['--token', cloud.viewerTokenFile];
    const status = await ok([
      'release',
      'status',
      '--cloud',
      cloud.httpUrl,
      '--fleet',
      'pub',
      '--json',
      ...viewer,
    ]);
    expect(
      status.devices.map((d: { id: string; jobs: { state: string; version: string }[] }) => [
        d.id,
        d.jobs.map((j) => `${j.version} ${j.state}`),
      ]),
    ).toEqual([
      ['dev-a', [`${pub.release.version} notified`]],
      ['dev-b', []],
    ]);
    expect(status.rollouts.map((r: { id: string }) => r.id)).toEqual([pub.rollout.id]);

    const human = await runCli(['release', 'status', '--cloud', cloud.httpUrl, ...viewer], work);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(
      `rollout ${pub.rollout.id}: library ${pub.release.version} → pub, running, stage 1/2`,
    );
    expect(human.stdout).toMatch(/pub\/dev-a\s+unknown\s+-\s+-\s+library \S+ notified/);

    const cancelled = await ok(['release', 'cancel', pub.rollout.id, '--cloud', cloud.httpUrl, '--json'], {
      LIQUIDKAN_TOKEN: readFileSync(cloud.tokenFile, 'utf8'),
    });
    expect(cancelled.rollout).toMatchObject({ id: pub.rollout.id, state: 'cancelled' });
    const again = await runCli(
      ['release', 'abort', pub.rollout.id, '--cloud', cloud.httpUrl, '--token', cloud.tokenFile],
      work,
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/HTTP 409.*already cancelled/);

    // Publishing the same file again reuses the stored release and starts a new rollout.
    const second = await ok([
      'release',
      'publish',
      releaseFile,
      '--fleet',
      'pub',
      '--cloud',
      cloud.httpUrl,
      '--token',
      cloud.tokenFile,
      '--json',
    ]);
    expect(second.created).toBe(false);
    const aborted = await ok([
      'release',
      'abort',
      second.rollout.id,
      '--cloud',
      cloud.httpUrl,
      '--token',
      cloud.tokenFile,
      '--json',
    ]);
    expect(aborted.rollout.state).toBe('aborted');
  });

  it('fails clearly without a token, with a wrong one, and when the cloud is unreachable', async () => {
    const base = ['release', 'publish', releaseFile, '--fleet', 'pub'];
    const none = await runCliEnv([...base, '--cloud', cloud.httpUrl], { LIQUIDKAN_TOKEN: '' });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no operator token: give --token FILE .* or set LIQUIDKAN_TOKEN/);
    const wrong = await runCliEnv([...base, '--cloud', cloud.httpUrl], {
      LIQUIDKAN_TOKEN: 'not-the-token-at-all',
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/refused the operator token \(401\)/);
    const cancel = await runCliEnv(['release', 'cancel', 'ro-x', '--cloud', cloud.httpUrl], {
      LIQUIDKAN_TOKEN: 'wrong-wrong-wrong',
    });
    expect(cancel.code).toBe(2);
    expect(cancel.stderr).toMatch(/refused the request \(401\)/);
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const away = await runCli([...base, '--cloud', nowhere, '--token', cloud.tokenFile], work);
    expect(away.code).toBe(2);
    expect(away.stderr).toMatch(
      /cannot reach the cloud at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); is 'liquidkan cloud' running there\?/,
    );
    const status = await runCli(['release', 'status', '--cloud', nowhere], work);
    expect(status.code).toBe(2);
  });

  it('refuses an unknown rollout, a file that is not a release, and a release signed by another key', async () => {
    const unknown = await runCli(
      ['release', 'cancel', 'ro-missing', '--cloud', cloud.httpUrl, '--token', cloud.tokenFile],
      work,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/HTTP 404.*no rollout 'ro-missing'/);
    const junk = join(work, 'junk.lkr');
    writeFileSync(junk, 'hello');
    const bad = await runCli(
      ['release', 'publish', junk, '--fleet', 'pub', '--cloud', cloud.httpUrl, '--token', cloud.tokenFile],
      work,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a liquidkan release file/);
    await ok(['keys', 'generate', '--out', join(work, 'other-keys'), '--json']);
    const foreign = join(work, 'foreign.lkr');
    await ok([
      'release',
      'create',
      '--library',
      'classic',
      '--key',
      join(work, 'other-keys', 'release.key'),
      '--out',
      foreign,
      '--json',
    ]);
    const refused = await runCli(
      ['release', 'publish', foreign, '--fleet', 'pub', '--cloud', cloud.httpUrl, '--token', cloud.tokenFile],
      work,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/HTTP 400.*unknown key/);
  });
});
