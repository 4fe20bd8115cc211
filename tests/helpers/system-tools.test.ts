/**
 * The system-tool helper itself: a tool that is missing, exits non-zero or hangs gets a one-line
 * reason naming its package; one that works gets none; LIQUIDKAN_REQUIRE_ALL_TOOLS=1 turns the
 * reason into an error; and the end-of-run summary groups the reasons with their test files.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipSummary } from '../setup/skip-summary.js';
import { probeTool, REQUIRE_ALL_TOOLS_ENV, requireTool } from './system-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'system-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('probing a system tool', () => {
  it('accepts a tool that runs, and says why one is missing, broken or stuck', () => {
    expect(probeTool('node', { apt: 'nodejs', probe: [process.execPath, '--version'] })).toBeNull();
    expect(probeTool('nosuch', { apt: 'nosuch', probe: [join(dir, 'nosuch')] })).toMatch(/nosuch not found$/);
    const broken = script('broken', 'echo "error while loading shared libraries: libfoo.so" >&2; exit 127');
    expect(probeTool('broken', { apt: 'broken', probe: [broken] })).toMatch(
      /'.*broken' exited 127: error while loading shared libraries: libfoo\.so/,
    );
    const stuck = script('stuck', 'exec sleep 20');
    const t0 = Date.now();
    expect(probeTool('stuck', { apt: 'stuck', probe: [stuck], timeoutMs: 500 })).toMatch(
      /did not finish within 0\.5 s/,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    // a usage screen that exits 3 still proves the binary loads, when the tool says so
    const usage = script('usage', 'exit 3');
    expect(probeTool('usage', { apt: 'usage', probe: [usage], okStatus: [0, 3] })).toBeNull();
  });

  it(`fails instead of skipping under ${REQUIRE_ALL_TOOLS_ENV}=1`, () => {
    const before = process.env[REQUIRE_ALL_TOOLS_ENV];
    process.env[REQUIRE_ALL_TOOLS_ENV] = '1';
    try {
      expect(() => requireTool('nosuch-ci', { apt: 'nosuch-pkg', probe: [join(dir, 'nosuch')] })).toThrow(
        /LIQUIDKAN_REQUIRE_ALL_TOOLS=1 .*nosuch-ci: .* not found; install it with apt-get install nosuch-pkg/,
      );
    } finally {
      if (before === undefined) delete process.env[REQUIRE_ALL_TOOLS_ENV];
      else process.env[REQUIRE_ALL_TOOLS_ENV] = before;
    }
  });
});

describe('the skip summary', () => {
  it('lists each reason once with the files that skipped for it', () => {
    const reason = 'mosquitto: /usr/sbin/mosquitto not found; install it with apt-get install mosquitto';
    const lines = skipSummary([
      { tool: 'mosquitto', reason, file: 'tests/interop/fleet.test.ts' },
      { tool: 'mosquitto', reason, file: 'tests/interop/mosquitto-config.test.ts' },
      { tool: 'mosquitto', reason, file: 'tests/interop/fleet.test.ts' },
    ]);
    expect(lines).toEqual([
      'Skipped for missing system tools (apt-get install them to run these too):',
      `  ${reason}`,
      '    tests/interop/fleet.test.ts, tests/interop/mosquitto-config.test.ts',
    ]);
    expect(skipSummary([])).toEqual([]);
  });
});
