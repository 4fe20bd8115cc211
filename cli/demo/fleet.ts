/**
 * The fleet demo (`liquidkan demo`): the whole loop on one machine, each part as it runs in the
 * field.
 *
 *   cloud      embedded broker, telemetry store, release service, dashboard, hunger loop (in-process)
 *   library    discovery on a built-in family grows the classic library (the cloud's current one)
 *   model      a sensor model (cli/demo/sensor.ts), int8 for pi4, signed as a model release
 *   devices    N `liquidkan device` child processes on their own CSV streams, synced over MQTT;
 *              the model release rolls out to them; the excitation widens at the shift row
 *   loop       drift → on-device selection → hunger with samples → cloud discovery → library
 *              v{N} → rollout → devices install it and reselect with its entries
 *
 * Every step says what it does on one line; a step that fails names itself and ends the demo
 * (the caller exits non-zero). An abort (Ctrl-C) stops the devices and the cloud the same way the
 * normal end does.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover } from '../../cloud/discovery/discover.js';
import { FAMILIES } from '../../cloud/discovery/families.js';
import { writeSecretFile } from '../../cloud/fleet/devices.js';
import type { FleetEvent } from '../../cloud/fleet/events.js';
import { hungerCloudPolicy } from '../../cloud/fleet/loop/cloud-policy.js';
import { readHistory } from '../../cloud/fleet/loop/history.js';
import { installLibraryVersion } from '../../cloud/fleet/loop/library-store.js';
import { HISTORY_FILE } from '../../cloud/fleet/loop/policy.js';
import type { CycleRecord } from '../../cloud/fleet/loop/types.js';
import type { ReleaseRecord, RolloutSummary } from '../../cloud/fleet/releases/types.js';
import { type CloudHandle, startCloud } from '../../cloud/fleet/service.js';
import { exportModel, writeBundle } from '../../shared/export/export.js';
import { packageRoot } from '../../shared/io/package-root.js';
import { classicLibrary, saveLibrary } from '../../shared/library/library.js';
import { saveModelDir } from '../../shared/model/store.js';
import { loadProfile } from '../../shared/profiles.js';
import { createRelease } from '../../shared/release/create.js';
import { generateKeys, readPrivateKey, writeKeyPair } from '../../shared/release/keys.js';
import { writeReleaseFile } from '../../shared/release/release-file.js';
import { type DeviceChild, spawnDevice, stopDevices } from './children.js';
import { csvTargets, sensorCsv, sensorTraining, trainSensorModel } from './sensor.js';
import { keywordWav, playInto, trainVoiceModel, voiceTraining } from './voice.js';

export const FLEET = 'demo';
/** The voice device has a model of its own, so it is a fleet of its own. */
export const VOICE_FLEET = 'demo-voice';
const VOICE_ID = 'voice-1';

export interface FleetDemoOptions {
  readonly devices: number;
  readonly durationS: number;
  readonly httpPort: number;
  readonly out: string | null;
  readonly seed: number;
  readonly rateHz: number;
  readonly family: string;
  readonly discoverySteps: number;
  /** Add one voice device (a keyword spotter on spoken words over its stdin). */
  readonly voice: boolean;
  /** Progress lines for people. */
  readonly say: (line: string) => void;
  /** Fires on Ctrl-C: the demo winds down and reports what it has. */
  readonly signal: AbortSignal;
  /** After the summary, keep the cloud (and its dashboard) up until the signal fires. */
  readonly keep: boolean;
  /** Told the summary before --keep waits. */
  readonly onSummary?: (s: FleetDemoSummary) => void;
}

/** A step of the demo failed; its name is in the message. */
export class DemoStepError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // the CLI prints a stack for unexpected errors; this one is a step that failed, said in one line
    this.stack = message;
  }
}

async function step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DemoStepError) throw err;
    throw new DemoStepError(`step '${name}' failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Polls `check` every 200 ms until it is true, the time is up (false) or the signal fires (false). */
async function until(check: () => boolean, ms: number, signal: AbortSignal): Promise<boolean> {
  const end = Date.now() + ms;
  while (!signal.aborted && Date.now() < end) {
    if (check()) return true;
    await sleep(200, signal);
  }
  return check();
}

export interface PhaseMse {
  readonly before_shift: number | null;
  readonly after_shift: number | null;
  readonly after_selection: number | null;
  readonly after_reselection: number | null;
}

export interface DeviceReport {
  readonly id: string;
  readonly kind: 'sensor' | 'voice';
  readonly fleet: string;
  readonly online: boolean;
  readonly model_version: string | null;
  readonly library_version: string | null;
  readonly steps: number;
  readonly shift_step: number;
  readonly drift_events: number;
  readonly first_drift_step: number | null;
  /** The residual drift detector's scale (the bundle manifest's test MSE); null when it was off. */
  readonly residual_test_mse: number | null;
  readonly selections: { step: number; installed: boolean; entries: string[] }[];
  /** Sensor devices: MSE by phase; voice: null. */
  readonly mse: PhaseMse | null;
  /** Voice: clips classified and how often each label came out. */
  readonly clips?: {
    count: number;
    labels: Record<string, number>;
    words_played: number;
    detections: number;
  };
  readonly exit: { code: number | null; signal: string | null } | null;
}

export interface FleetDemoSummary {
  readonly out: string;
  readonly dashboard: string;
  readonly token_file: string;
  readonly broker: string;
  readonly interrupted: boolean;
  readonly failed: string | null;
  readonly seconds: Record<string, number | null>;
  readonly discovery: { family: string; version: number; added: string[]; formulas: string[] } | null;
  readonly model: {
    entry: string;
    release: string;
    train_gap: number;
    mse: { narrow: number; wide: number; mixture_wide: number };
  } | null;
  readonly telemetry: { hunger: number; hungry: number; with_samples: number; perf: number; drift: number };
  readonly loop: {
    cycle: string;
    outcome: string;
    devices: readonly string[];
    records: number;
    samples: number;
    library: number | null;
    release: string | null;
    discovery_s: number | null;
    formula: string | null;
    added: { name: string; form: string; natural_rel_rms: number; hunger_distance: number }[];
    best_parent: { name: string; hunger_distance: number } | null;
    error: string | null;
  }[];
  readonly rollouts: {
    fleet: string;
    kind: string;
    version: string;
    state: string;
    counts: Record<string, number>;
  }[];
  readonly devices: DeviceReport[];
}

function mseOver(
  steps: readonly Record<string, unknown>[],
  targets: Float64Array,
  from: number,
  to: number,
): number | null {
  let se = 0;
  let n = 0;
  for (let r = Math.max(0, from); r < Math.min(to, steps.length, targets.length); r++) {
    const y = (steps[r]!['y'] as number[] | undefined)?.[0];
    if (typeof y !== 'number' || !Number.isFinite(y)) continue;
    se += (y - targets[r]!) ** 2;
    n++;
  }
  return n > 0 ? se / n : null;
}

export async function runFleetDemo(o: FleetDemoOptions): Promise<FleetDemoSummary> {
  const t0 = Date.now();
  const since = () => Math.round((Date.now() - t0) / 100) / 10;
  const seconds: Record<string, number | null> = {};
  const mark = (k: string) => {
    seconds[k] ??= since();
  };
  const say = o.say;
  const signal = o.signal;
  const work = o.out ?? mkdtempSync(join(tmpdir(), 'liquidkan-demo-'));
  mkdirSync(work, { recursive: true });
  const cloudDir = join(work, 'cloud');
  const keysDir = join(work, 'keys');
  let cloud: CloudHandle | null = null;
  const children: DeviceChild[] = [];
  const cloudLog: string[] = [];
  let failed: string | null = null;
  let discovery: FleetDemoSummary['discovery'] = null;
  let model: FleetDemoSummary['model'] = null;
  const shifts = new Map<string, { shift: number; targets: Float64Array }>();
  const unsubscribe: (() => void)[] = [];
  let stopAudio: (() => void) | null = null;
  let voiceWords = 0;

  try {
    say(`1/8 keys: generating the release signing key pair in ${keysDir}`);
    const keys = await step('keys', () => writeKeyPair(keysDir, generateKeys()));

    say('2/8 cloud: embedded MQTT broker, telemetry store, release service, dashboard, hunger loop');
    cloud = await step('cloud', () =>
      startCloud({
        dataDir: cloudDir,
        mqttPort: 0,
        httpPort: o.httpPort,
        host: '127.0.0.1',
        stageTimeoutMs: 60_000,
        rolloutCheckMs: 1000,
        log: (line) => {
          cloudLog.push(line);
          if (/^loop: /.test(line)) say(`    cloud ${line}`);
        },
        policies: [
          hungerCloudPolicy({
            signingKeyFile: keys.privateFile,
            // demo-sized: two devices hungry on the same layer within a minute start a cycle
            thresholds: { windowMs: 120_000, minHungryRecords: 2, minDevices: 2, cooldownMs: 600_000 },
            discovery: { steps: o.discoverySteps, timeoutMs: 120_000 },
            stages: [100],
            seed: o.seed,
            intervalMs: 2000,
            debounceMs: 500,
          }),
        ],
      }),
    );
    const c = cloud;
    say(`    dashboard ${c.httpUrl}  (operator token in ${c.tokenFile})`);
    say(`    broker ${c.brokerUrl}`);
    mark('cloud_up');

    const fam = FAMILIES[o.family];
    if (!fam) throw new DemoStepError(`step 'discovery' failed: no built-in family '${o.family}'`);
    say(`3/8 discovery on the '${o.family}' family (${fam.tasks.map((t) => t.name).join(', ')})`);
    const disc = await step('discovery', () =>
      discover({
        tasks: fam.tasks,
        source: o.family,
        library: classicLibrary(),
        seed: o.seed,
        steps: o.discoverySteps,
        measureCost: false,
      }),
    );
    await step('discovery', () => {
      saveLibrary(join(work, 'library'), disc.library);
      // the cloud's current library: the loop grows this one
      installLibraryVersion(cloudDir, disc.library);
    });
    for (const t of disc.tasks) say(`    ${t.task.padEnd(9)} ${t.formula}`);
    say(
      `    library v${disc.library.version}: +${disc.added.length} entries (${disc.added.map((e) => e.name).join(', ') || 'none'})`,
    );
    discovery = {
      family: o.family,
      version: disc.library.version,
      added: disc.added.map((e) => e.name),
      formulas: disc.tasks.map((t) => t.formula),
    };
    mark('discovery');

    say('4/8 model: a sensor model (response J0(3x)) on the classic library, int8 for pi4');
    const sensor = await step('train', () => trainSensorModel(classicLibrary(), o.seed));
    const profile = loadProfile('pi4');
    const bundleDir = join(work, 'model-pi4-int8');
    await step('export', () => {
      saveModelDir(join(work, 'model'), sensor.model, 'liquidkan demo');
      writeBundle(
        bundleDir,
        exportModel(sensor.model, { profile, quant: 'int8', training: sensorTraining(sensor) }),
      );
    });
    say(
      `    runs '${sensor.entry}'; its trained mixture is ${(sensor.hunger.gap * 100).toFixed(0)}% better than that entry ` +
        `(test MSE on the narrow range ${sensor.mse.narrow.toExponential(2)}, wide ${sensor.mse.wide.toExponential(2)}, mixture ${sensor.mse.mixtureWide.toExponential(2)})`,
    );
    const releaseFile = join(work, 'model.lkr');
    const modelRelease = await step('release create', async () => {
      const r = createRelease({ kind: 'model', dir: bundleDir, key: readPrivateKey(keys.privateFile) });
      writeReleaseFile(releaseFile, r);
      return (await c.releases.addRelease(new Uint8Array(readFileSync(releaseFile)))).release;
    });
    let voice: { release: ReleaseRecord; bundle: string; classes: readonly string[] } | null = null;
    if (o.voice) {
      say('    voice: a keyword spotter (yes, no, other) from espeak-ng speech, int8 for pi4');
      voice = await step('voice model', async () => {
        const v = trainVoiceModel(o.seed);
        const bundle = join(work, 'voice-pi4-int8');
        saveModelDir(join(work, 'voice-model'), v.model, 'liquidkan demo');
        writeBundle(bundle, exportModel(v.model, { profile, quant: 'int8', training: voiceTraining(v) }));
        const r = createRelease({ kind: 'model', dir: bundle, key: readPrivateKey(keys.privateFile) });
        const file = join(work, 'voice.lkr');
        writeReleaseFile(file, r);
        say(`    voice test accuracy ${(v.testAccuracy * 100).toFixed(0)}% on held-out clips`);
        return {
          release: (await c.releases.addRelease(new Uint8Array(readFileSync(file)))).release,
          bundle,
          classes: v.classes,
        };
      });
      say(`    voice model release ${voice.release.version} uploaded`);
    }
    model = {
      entry: sensor.entry,
      release: modelRelease.version,
      train_gap: sensor.hunger.gap,
      mse: { narrow: sensor.mse.narrow, wide: sensor.mse.wide, mixture_wide: sensor.mse.mixtureWide },
    };
    say(`    model release ${modelRelease.version} signed and uploaded (${releaseFile})`);
    mark('model');

    say(`5/8 devices: provisioning ${o.devices} and starting each as its own process`);
    const rows = Math.ceil((o.durationS + 120) * o.rateHz);
    const shift = Math.round(0.3 * o.durationS * o.rateHz);
    const selectAfter = Math.round(0.4 * o.durationS * o.rateHz);
    const bin = join(packageRoot(), 'bin', 'liquidkan.js');
    const ids = Array.from({ length: o.devices }, (_, i) => `sensor-${i + 1}`);
    for (const [i, id] of ids.entries()) {
      const dir = join(work, 'devices', id);
      const files = await step('provision', () => {
        mkdirSync(dir, { recursive: true });
        const creds = c.registry.addDevice({ fleet: FLEET, id, broker: c.brokerUrl });
        const credentials = join(dir, 'credentials.json');
        writeSecretFile(credentials, `${JSON.stringify(creds, null, 2)}\n`);
        const csv = sensorCsv({ rows, shift, seed: o.seed * 1000 + i + 1, rateHz: o.rateHz });
        const input = join(dir, 'stream.csv');
        writeFileSync(input, csv);
        shifts.set(id, { shift, targets: csvTargets(csv) });
        return { credentials, input };
      });
      // the demo's own bundle is the factory model: the device runs it until the release installs
      const args = [
        bin,
        'device',
        '--broker',
        c.brokerUrl,
        '--fleet',
        FLEET,
        '--id',
        id,
        '--credentials',
        files.credentials,
        '--trust',
        keys.publicFile,
        '--data',
        join(dir, 'data'),
        '--model',
        bundleDir,
        '--profile',
        'pi4',
        '--input',
        files.input,
        '--target',
        'y',
        '--rate',
        String(o.rateHz),
        '--select',
        '--select-after',
        String(selectAfter),
        '--select-budget-ms',
        '3000',
        '--threads',
        '1',
        '--no-latency-check',
        '--telemetry-interval-ms',
        '1000',
        '--json',
      ];
      children.push(spawnDevice(id, process.execPath, args));
    }
    if (voice) {
      const dir = join(work, 'devices', VOICE_ID);
      const v = voice;
      const credentials = await step('provision', () => {
        mkdirSync(dir, { recursive: true });
        const creds = c.registry.addDevice({ fleet: VOICE_FLEET, id: VOICE_ID, broker: c.brokerUrl });
        const file = join(dir, 'credentials.json');
        writeSecretFile(file, `${JSON.stringify(creds, null, 2)}\n`);
        return file;
      });
      const audio = await step('voice stream', () => keywordWav(Math.ceil(o.durationS + 60), o.seed));
      voiceWords = audio.words.length;
      const child = spawnDevice(
        VOICE_ID,
        process.execPath,
        [
          bin,
          'device',
          '--broker',
          c.brokerUrl,
          '--fleet',
          VOICE_FLEET,
          '--id',
          VOICE_ID,
          '--credentials',
          credentials,
          '--trust',
          keys.publicFile,
          '--data',
          join(dir, 'data'),
          '--model',
          v.bundle,
          '--profile',
          'pi4',
          '--input',
          '-',
          '--format',
          'wav',
          '--clip-lines',
          '--threads',
          '1',
          '--no-latency-check',
          '--telemetry-interval-ms',
          '1000',
          '--json',
        ],
        { stdin: 'pipe' },
      );
      children.push(child);
      stopAudio = playInto(child.proc.stdin!, audio.wav);
      say(
        `    ${VOICE_ID} (fleet ${VOICE_FLEET}): spoken 'yes', 'no' and noise on its stdin in real time, as arecord would`,
      );
    }
    say(
      `    ${ids.join(', ')}: CSV streams at ${o.rateHz} Hz; the excitation widens at row ${shift} (${(shift / o.rateHz).toFixed(0)} s); each selects after ${selectAfter} samples`,
    );
    const devicesStarted = Date.now();
    const everyone = [
      ...ids.map((id) => [FLEET, id] as const),
      ...(voice ? [[VOICE_FLEET, VOICE_ID] as const] : []),
    ];
    const online = await until(
      () =>
        everyone.every(([f, id]) => c.registry.getDevice(f, id)?.online === true) ||
        children.some((ch) => ch.exit),
      60_000,
      signal,
    );
    const dead = children.find((ch) => ch.exit);
    if (dead) {
      throw new DemoStepError(
        `step 'devices' failed: ${dead.id} exited (${dead.exit?.code ?? dead.exit?.signal}): ${dead.stderrTail.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    if (!online && !signal.aborted)
      throw new DemoStepError(`step 'devices' failed: not all devices came online within 60 s`);
    if (!signal.aborted) {
      say(`    all ${everyone.length} online`);
      mark('devices_online');
    }

    const rolloutStates = new Map<string, string>();
    const events = (e: FleetEvent) => {
      if (e.type === 'telemetry' && e.kind === 'drift' && e.records.length > 0) {
        if (!seconds['first_drift'])
          say(`    drift: ${e.device} reports ${e.records.map((r) => r['detector']).join(', ')}`);
        mark('first_drift');
      }
      if (e.type === 'telemetry' && e.kind === 'hunger') {
        for (const r of e.records) {
          const s = r['samples'] as { u?: unknown[] } | undefined;
          if (r['hungry'] === true) {
            say(
              `    hunger: ${e.device} layer ${r['layer']}: ${String(r['reason'] ?? '')}${s?.u ? ` (${s.u.length} samples)` : ''}`,
            );
            mark('first_hunger');
          } else
            say(
              `    selection on ${e.device}: layer ${r['layer']} runs ${String(r['bestSingle'] ?? '?')}, not hungry`,
            );
        }
      }
      if (e.type === 'library') {
        say(`    library v${e.version} written by the loop`);
        mark('library_written');
      }
      // a rollout announces 'running' again at each stage it issues; say each state once
      if (e.type === 'rollout' && rolloutStates.get(e.rolloutId) !== e.state) {
        rolloutStates.set(e.rolloutId, e.state);
        say(`    rollout ${e.rolloutId}: ${e.state}`);
      }
    };
    if (cloud) unsubscribe.push(c.events.subscribe(events));

    if (!signal.aborted) {
      say(`6/8 rollout: model release ${modelRelease.version} to fleet '${FLEET}' (one stage, 100%)`);
      await step('rollout', () =>
        c.releases.startRollout({ release: modelRelease.id, fleet: FLEET, stages: [100] }),
      );
      if (voice) {
        const v = voice.release;
        say(`    and voice model release ${v.version} to fleet '${VOICE_FLEET}'`);
        await step('rollout', () =>
          c.releases.startRollout({ release: v.id, fleet: VOICE_FLEET, stages: [100] }),
        );
      }
      const installed = await until(
        () =>
          ids.every((id) => c.registry.getDevice(FLEET, id)?.modelVersion === modelRelease.version) &&
          (!voice || c.registry.getDevice(VOICE_FLEET, VOICE_ID)?.modelVersion === voice.release.version),
        60_000,
        signal,
      );
      if (installed) {
        say(`    every device installed model ${modelRelease.version}`);
        mark('model_installed');
      } else if (!signal.aborted) say('    not every device installed the model within 60 s; going on');
    }

    if (!signal.aborted) {
      const left = Math.max(0, o.durationS * 1000 - (Date.now() - devicesStarted));
      say(
        `7/8 streaming for ${(left / 1000).toFixed(0)} s more: shift → drift → selection → hunger → discovery → library → reselection`,
      );
      // the library the loop released last (its rollout), installed on every device
      const loopLibrary = async () =>
        (await c.releases.listRollouts({ fleet: FLEET }))
          .filter((r) => r.kind === 'library')
          .sort((a, b) => a.createdMs - b.createdMs)
          .at(-1)?.version ?? null;
      const libDone = async () => {
        const v = await loopLibrary();
        return v !== null && ids.every((id) => c.registry.getDevice(FLEET, id)?.libraryVersion === v);
      };
      const watch = setInterval(() => {
        void libDone().then(async (done) => {
          if (done && !seconds['library_installed']) {
            say(`    every device installed library v${await loopLibrary()} and reselects with its entries`);
            mark('library_installed');
          }
        });
      }, 500);
      await sleep(left, signal);
      clearInterval(watch);
      if (await libDone()) mark('library_installed');
    }
  } catch (err) {
    failed = err instanceof Error ? err.message : String(err);
  }

  say(`8/8 stopping ${children.length} device process(es) and the cloud`);
  stopAudio?.();
  await stopDevices(children);
  mark('devices_stopped');
  for (const u of unsubscribe) u();
  const rollouts = cloud ? await cloud.releases.listRollouts() : [];
  const summary = collect();
  if (o.keep && cloud && !signal.aborted) {
    o.onSummary?.(summary);
    say(`--keep: the cloud and dashboard stay up at ${cloud.httpUrl}; Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  if (cloud) await cloud.close();
  return summary;

  function collect(): FleetDemoSummary {
    const c = cloud;
    const cycles: CycleRecord[] = c ? readHistory(join(cloudDir, HISTORY_FILE), () => {}) : [];
    let hungry = 0;
    let withSamples = 0;
    let hunger = 0;
    if (c) {
      for (const ch of children) {
        for (const r of c.store.records('hunger', { fleet: FLEET, device: ch.id })) {
          hunger++;
          const rec = r.record as Record<string, unknown>;
          if (rec['hungry'] === true) hungry++;
          if (rec['samples']) withSamples++;
        }
      }
    }
    seconds['total'] = since();
    return {
      out: work,
      dashboard: c?.httpUrl ?? '',
      token_file: c?.tokenFile ?? '',
      broker: c?.brokerUrl ?? '',
      interrupted: signal.aborted,
      failed,
      seconds,
      discovery,
      model,
      telemetry: {
        hunger,
        hungry,
        with_samples: withSamples,
        perf: c?.store.count('perf') ?? 0,
        drift: c?.store.count('drift') ?? 0,
      },
      loop: cycles.map((r) => ({
        cycle: r.id,
        outcome: r.outcome,
        devices: r.trigger.devices,
        records: r.trigger.hungryRecords,
        samples: r.trigger.samples,
        library: r.library?.version ?? null,
        release: r.release?.version ?? null,
        discovery_s: r.discovery ? r.discovery.wallMs / 1000 : null,
        formula: r.discovery?.formula ?? null,
        added: (r.discovery?.added ?? []).map((e) => ({
          name: e.name,
          form: e.form,
          natural_rel_rms: e.naturalRelRms,
          hunger_distance: e.hungerDistance,
        })),
        best_parent: r.discovery?.bestParent
          ? { name: r.discovery.bestParent.name, hunger_distance: r.discovery.bestParent.hungerDistance }
          : null,
        error: r.error ? `${r.error.stage}: ${r.error.message}` : null,
      })),
      rollouts: c
        ? rollouts
            .sort((a: RolloutSummary, b: RolloutSummary) => a.createdMs - b.createdMs)
            .map((r: RolloutSummary) => ({
              fleet: r.fleet,
              kind: r.kind,
              version: r.version,
              state: r.state,
              counts: { ...r.counts } as Record<string, number>,
            }))
        : [],
      devices: children.map((ch) => deviceReport(ch)),
    };
  }

  function deviceReport(ch: DeviceChild): DeviceReport {
    const s = ch.summary;
    /** What the cloud's registry says of the device. */
    const registered = (fleet: string) => {
      const rec = cloud?.registry.getDevice(fleet, ch.id) ?? null;
      return {
        fleet,
        online: rec?.lastSeenMs !== null && rec?.lastSeenMs !== undefined,
        model_version: rec?.modelVersion ?? null,
        library_version: rec?.libraryVersion ?? null,
      };
    };
    if (ch.id === VOICE_ID) {
      const labels: Record<string, number> = {};
      for (const l of ch.steps) {
        if (l['event'] === 'detection') continue; // counted apart from the clip lines
        const label = typeof l['label'] === 'string' ? l['label'] : '?';
        labels[label] = (labels[label] ?? 0) + 1;
      }
      return {
        id: ch.id,
        kind: 'voice',
        ...registered(VOICE_FLEET),
        steps: ch.steps.length,
        shift_step: 0,
        drift_events: ((s?.['drift_events'] as unknown[] | undefined) ?? []).length,
        first_drift_step: null,
        residual_test_mse: null,
        selections: [],
        mse: null,
        clips: {
          count: ch.steps.filter((l) => l['event'] !== 'detection').length,
          labels,
          words_played: voiceWords,
          detections: ch.steps.filter((l) => l['event'] === 'detection').length,
        },
        exit: ch.exit ? { code: ch.exit.code, signal: ch.exit.signal } : null,
      };
    }
    const info = shifts.get(ch.id)!;
    const selections = ((s?.['selections'] as Record<string, unknown>[] | undefined) ?? []).map((x) => ({
      step: Number(x['step']),
      installed: x['installed'] === true,
      entries: ((x['layers'] as { after: string }[] | undefined) ?? []).map((l) => l.after),
    }));
    const drift = (s?.['drift_events'] as { step: number }[] | undefined) ?? [];
    const after = drift.filter((d) => d.step >= info.shift);
    const sel1 = selections[0]?.step ?? Infinity;
    const sel2 = selections[1]?.step ?? Infinity;
    const n = ch.steps.length;
    const warm = Math.min(50, info.shift);
    return {
      id: ch.id,
      kind: 'sensor',
      ...registered(FLEET),
      steps: n,
      shift_step: info.shift,
      drift_events: drift.length,
      first_drift_step: after[0]?.step ?? null,
      residual_test_mse: typeof s?.['residual_test_mse'] === 'number' ? s['residual_test_mse'] : null,
      selections,
      mse: {
        before_shift: mseOver(ch.steps, info.targets, warm, info.shift),
        after_shift: mseOver(ch.steps, info.targets, info.shift, Math.min(sel1, n)),
        after_selection: sel1 < n ? mseOver(ch.steps, info.targets, sel1, Math.min(sel2, n)) : null,
        after_reselection: sel2 < n ? mseOver(ch.steps, info.targets, sel2, n) : null,
      },
      exit: ch.exit ? { code: ch.exit.code, signal: ch.exit.signal } : null,
    };
  }
}
