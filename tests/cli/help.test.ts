/**
 * `--help` for every command and subcommand exits 0, prints its usage and names every flag the
 * command takes; without a command (or subcommand) the CLI prints help and exits non-zero.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../../cli/command.js';
import { commands } from '../../cli/commands/index.js';
import { buildCliOnce, ROOT, runCli } from './cli-harness.js';

beforeAll(buildCliOnce);

async function find(path: readonly string[]): Promise<Command> {
  const top = commands.find((c) => c.name === path[0]);
  if (!top) throw new Error(`no command ${path[0]}`);
  let cmd = await top.load();
  expect(cmd.summary).toBe(top.summary);
  for (const name of path.slice(1)) {
    const sub = cmd.subcommands?.find((c) => c.name === name);
    if (!sub) throw new Error(`no command ${path.join(' ')}`);
    cmd = sub;
  }
  return cmd;
}

/** The flags the documented command forms use, checked independently of the declarations. */
const CASES: { path: string[]; flags: string[] }[] = [
  { path: ['init'], flags: ['library', 'inputs', 'hidden', 'outputs', 'seed', 'out', 'json'] },
  { path: ['export'], flags: ['model', 'profile', 'quant', 'out', 'json'] },
  { path: ['predict'], flags: ['model', 'input', 'engine', 'quant', 'json'] },
  { path: ['library'], flags: [] },
  { path: ['library', 'show'], flags: ['json'] },
];

describe.concurrent('liquidkan <command> --help', () => {
  for (const { path, flags } of CASES) {
    it(`${path.join(' ')} --help exits 0 and names its flags`, async () => {
      const r = await runCli([...path, '--help'], ROOT);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain(`usage: liquidkan ${path.join(' ')}`);
      expect(r.stdout).toContain('--help');
      const declared = Object.keys((await find(path)).flags);
      expect(declared).toEqual(expect.arrayContaining(flags));
      for (const f of declared) expect(r.stdout).toMatch(new RegExp(`^  --${f}\\b`, 'm'));
    });
  }

  it('init --help marks the required flags and shows the defaults', async () => {
    const r = await runCli(['init', '--help'], ROOT);
    for (const f of ['library', 'inputs', 'hidden', 'outputs', 'seed', 'out']) {
      expect(r.stdout).toMatch(new RegExp(`^  --${f} .*\\(required\\)$`, 'm'));
    }
    expect(r.stdout).toMatch(/^ {2}--dense-layers N .*\(default: 1\)$/m);
  });

  it('library --help lists the show subcommand', async () => {
    const r = await runCli(['library', '--help'], ROOT);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^subcommands:$/m);
    expect(r.stdout).toMatch(/^ {2}show +list the entries/m);
  });

  it('each listed command loads its own module, under its own name and summary', async () => {
    for (const c of commands) {
      const loaded = await c.load();
      expect(loaded.name).toBe(c.name);
      expect(loaded.summary).toBe(c.summary);
      expect(loaded.run ?? loaded.subcommands).toBeDefined();
    }
  });

  it('the top-level --help lists every command and exits 0', async () => {
    const r = await runCli(['--help'], ROOT);
    expect(r.code).toBe(0);
    for (const c of ['init', 'export', 'predict', 'library'])
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('no command, or a command without its subcommand, prints help and exits 2', async () => {
    const none = await runCli([], ROOT);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('commands:');
    const lib = await runCli(['library'], ROOT);
    expect(lib.code).toBe(2);
    expect(lib.stdout).toContain('usage: liquidkan library');
  });

  it('an unknown command or subcommand is named on stderr with exit 2', async () => {
    const cmd = await runCli(['frobnicate'], ROOT);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("unknown command 'frobnicate'");
    const sub = await runCli(['library', 'burn'], ROOT);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain("unknown subcommand 'burn'");
  });
});
