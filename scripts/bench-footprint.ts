/**
 * What a board holds and how much memory the runtime takes (`npm run bench -- --only footprint`):
 * builds the --lite, host-architecture and arm64 device bundles (scripts/build-device.mjs) and
 * reports each one's size on disk and gzipped (what an OTA or a download moves); then runs
 * `liquidkan device` from copies of them in empty directories on a 32-neuron, 8-input int8 bundle
 * over 2,000 rows, started with the bundle's Node flags as the systemd unit starts it, and reads
 * the process's peak resident memory from its own summary: the --lite bundle standalone, the
 * --lite bundle with fleet sync to a real cloud (embedded broker), and the native bundle on
 * onnxruntime-node.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DeviceRegistry } from '../cloud/fleet/devices.js';
import { startCloud } from '../cloud/fleet/service.js';
import { exportModel, writeBundle } from '../shared/export/export.js';
import { packageRoot } from '../shared/io/package-root.js';
import { classicLibrary } from '../shared/library/library.js';
import { initModel } from '../shared/model/init.js';
import { Rng } from '../shared/numeric/rng.js';
import { loadProfile } from '../shared/profiles.js';
import { generateKeys } from '../shared/release/keys.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const round = (v: number) => Math.round(v * 10) / 10;

function files(p: string): string[] {
  return statSync(p).isDirectory() ? readdirSync(p).flatMap((f) => files(join(p, f))) : [p];
}

function sizes(dir: string): { mib: number; gzip_mib: number } {
  let raw = 0;
  let gz = 0;
  for (const f of files(dir)) {
    const b = readFileSync(f);
    raw += b.length;
    gz += gzipSync(b, { level: 6 }).length;
  }
  return { mib: round(raw / MiB), gzip_mib: round(gz / MiB) };
}

function buildBoard(work: string, label: string, args: string[]): string {
  const out = join(work, `build-${label}`);
  execFileSync(
    process.execPath,
    [join(packageRoot(), 'scripts', 'build-device.mjs'), ...args, '--out', out],
    {
      stdio: 'pipe',
    },
  );
  const board = join(work, `empty-${label}`, 'liquidkan');
  mkdirSync(join(work, `empty-${label}`));
  cpSync(out, board, { recursive: true });
  rmSync(out, { recursive: true, force: true });
  return board;
}

interface Summary {
  engine: { name: string };
  steps: number;
  memory: { peak_rss_mib: number };
  latency_us: { p50: number; p99: number };
}

/** The bundle's Node flags (build.json), which the launcher's #! line and the systemd unit pass. */
function nodeFlags(board: string): string[] {
  return (JSON.parse(readFileSync(join(board, 'build.json'), 'utf8')) as { nodeFlags: string[] }).nodeFlags;
}

async function device(board: string, args: string[]): Promise<Summary> {
  const argv = [...nodeFlags(board), join(board, 'liquidkan-device.mjs'), 'device', ...args];
  const { stdout } = await run(process.execPath, argv, {
    cwd: join(board, '..'),
    maxBuffer: 64 * MiB,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Summary;
}

export async function benchFootprint(): Promise<Record<string, unknown>> {
  const work = mkdtempSync(join(tmpdir(), 'lk-bench-footprint-'));
  const host = process.arch === 'arm64' ? 'arm64' : 'x64';
  try {
    const lite = buildBoard(work, 'lite', ['--lite']);
    const native = buildBoard(work, host, ['--arch', host]);
    const arm = host === 'arm64' ? native : buildBoard(work, 'arm64', ['--arch', 'arm64']);
    const bundles = {
      lite: sizes(lite),
      [host]: sizes(native),
      ...(host === 'arm64' ? {} : { arm64: sizes(arm) }),
    };

    const profile = loadProfile('pi4');
    const model = initModel({
      library: classicLibrary(),
      inputs: 8,
      hidden: 32,
      outputs: 1,
      seed: 1,
      activation: 'tanh',
    });
    const bundle = join(work, 'bundle');
    writeBundle(bundle, exportModel(model, { profile, quant: 'int8' }));
    const rng = new Rng(3);
    const rows = Array.from({ length: 2000 }, () =>
      Array.from({ length: 8 }, () => rng.normal().toFixed(4)).join(','),
    );
    const csv = join(work, 'in.csv');
    writeFileSync(csv, `${Array.from({ length: 8 }, (_, i) => `c${i}`).join(',')}\n${rows.join('\n')}\n`);
    const common = ['--model', bundle, '--profile', 'pi4', '--input', csv, '--quiet', '--json'];

    const standalone = await device(lite, common);
    const onNative = await device(native, [...common, '--engine', 'native', '--threads', '1']);

    // fleet sync: a real cloud on an embedded broker, one provisioned device
    const cloudDir = join(work, 'cloud');
    const registryDir = join(cloudDir);
    const registry = DeviceRegistry.open(registryDir);
    const creds = registry.addDevice({ fleet: 'bench', id: 'pi-0001' });
    registry.close();
    const cloud = await startCloud({
      dataDir: cloudDir,
      broker: 'embedded',
      mqttPort: 0,
      httpPort: 0,
      host: '127.0.0.1',
      log: () => {},
    });
    let synced: Summary;
    try {
      const credFile = join(work, 'pi-0001.json');
      writeFileSync(credFile, JSON.stringify({ ...creds, broker: cloud.brokerUrl }));
      const pub = join(work, 'release.pub');
      writeFileSync(pub, generateKeys().publicKey);
      synced = await device(lite, [
        ...common,
        '--rate',
        '1000',
        ...['--broker', cloud.brokerUrl, '--fleet', 'bench', '--id', 'pi-0001'],
        ...['--credentials', credFile, '--trust', pub, '--data', join(work, 'device-data')],
      ]);
    } finally {
      await cloud.close();
    }
    const rss = (s: Summary) => ({
      engine: s.engine.name,
      steps: s.steps,
      peak_rss_mib: s.memory.peak_rss_mib,
      step_p50_us: round(s.latency_us.p50),
    });
    const result = {
      model:
        '32 neurons, 8 inputs, int8, pi4 profile, 2,000 CSV rows; sizes include onnxruntime where shipped',
      node_flags: nodeFlags(lite).join(' '),
      bundles,
      rss: {
        lite_standalone: rss(standalone),
        lite_fleet_sync: rss(synced),
        native_onnxruntime: rss(onNative),
      },
    };
    return {
      ...result,
      targets: {
        lite_le_3mb: bundles.lite.mib * MiB <= 3e6,
        arm64_native_le_30mb_raw: bundles['arm64']!.mib * MiB <= 30e6,
        arm64_native_le_30mb_gzip: bundles['arm64']!.gzip_mib * MiB <= 30e6,
        lite_standalone_rss_le_60mib: standalone.memory.peak_rss_mib <= 60,
        lite_fleet_sync_rss_le_75mib: synced.memory.peak_rss_mib <= 75,
        native_rss_le_90mib: onNative.memory.peak_rss_mib <= 90,
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
