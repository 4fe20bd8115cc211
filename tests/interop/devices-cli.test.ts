/**
 * The operator workflow for an external Mosquitto through the built CLI: `devices mosquitto`
 * writes passwd, acl and mosquitto.conf with the cloud's account (and names registered devices it
 * cannot include); a later `devices add` appends the new device, whose password then verifies
 * against the Mosquitto hash.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MosquittoFiles, verifyMosquittoHash } from '../../cloud/fleet/broker/mosquitto.js';
import { buildCliOnce, runCli, tempDir } from '../cli/cli-harness.js';

let dir: string;
beforeAll(async () => {
  await buildCliOnce();
  dir = tempDir('devices-mosquitto');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const add = (data: string, id: string) =>
  runCli(
    ['devices', 'add', '--data', data, '--fleet', 'lab', '--id', id, '--out', join(dir, `${id}.json`)],
    dir,
  );

describe('liquidkan devices mosquitto', () => {
  it('exports the operator, then devices added later, for Mosquitto', async () => {
    const data = join(dir, 'cloud');
    expect((await add(data, 'early')).code).toBe(0);
    const exp = await runCli(['devices', 'mosquitto', '--data', data, '--port', '18883', '--json'], dir);
    expect(exp.code).toBe(0);
    const out = JSON.parse(exp.stdout) as { conf: string; missing: string[] };
    expect(out.missing).toEqual(['lab/early']);
    const conf = readFileSync(out.conf, 'utf8');
    expect(conf).toMatch(/^listener 18883 127\.0\.0\.1\nuse_username_as_clientid true$/m);
    expect(conf).toMatch(/^listener 18884 127\.0\.0\.1$/m);
    expect(conf).toMatch(/^allow_anonymous false$/m);

    const late = await add(data, 'late');
    expect(late.code).toBe(0);
    expect(`${late.stdout}${late.stderr}`).toMatch(/added lab\.late to .*passwd/);
    const files = new MosquittoFiles(MosquittoFiles.dirFor(data));
    expect(files.usernames()).toEqual(['cloud', 'lab.late']);
    const creds = JSON.parse(readFileSync(join(dir, 'late.json'), 'utf8')) as { password: string };
    const line = readFileSync(files.passwdPath, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('lab.late:'))!;
    expect(verifyMosquittoHash(creds.password, line.slice('lab.late:'.length))).toBe(true);
    expect(readFileSync(files.aclPath, 'utf8')).toContain('topic write lk/v1/lab/late/tel/perf');
  });
});
