/**
 * The device side of fleet sync (DESIGN "Releases and sync (MQTT)"), wired together: the MQTT
 * session (client.ts), release jobs into A/B slots (jobs.ts, slots.ts, health.ts), the model run
 * (runner.ts) and its telemetry through the on-disk outbox (telemetry.ts, outbox.ts).
 *
 *   start()   repair both slot sets (InstallSlots.recover), count the boot, open the outbox,
 *             connect, and finish or resume the job a previous process left
 *   run()     run the model on the input until it ends or stopRun(); a model release that
 *             installs, or a rollback, restarts the run on the new model with the input going on
 *   close()   stop jobs (a download is left to resume), drain the outbox for a moment, publish
 *             `status` 'offline' and disconnect
 *
 * Commands (`cmd/…`): reselect runs a selection at the next step; tau-reset puts τ back to the
 * model's; rollback (args.kind 'model' by default, or 'library') switches the slot back and
 * restarts the run; rebirth publishes `birth` and `reported` again. After a library release
 * installs, its entries are offered to every selection as extra candidates, and one runs at
 * once: the loop that starts in the cloud closes on the device.
 */
import { join } from 'node:path';
import { type ActivationLibrary, loadLibrary } from '../../shared/library/library.js';
import type { KeyInput } from '../../shared/release/keys.js';
import type { ReleaseKind } from '../../shared/types/release.js';
import type { Birth, CommandMessage, Desired, JobUpdate, Reported } from '../../shared/types/sync.js';
import type { CmdName } from '../../shared/types/topics.js';
import type { LoopControl, RunObserver } from '../runtime/loop.js';
import type { DeviceSummary } from '../runtime/summary.js';
import { SyncClient, type SyncClientOptions } from './client.js';
import type { SyncCredentials } from './credentials.js';
import { birthMessage, type DeviceFactsSource, reportedMessage, runningVersions } from './facts.js';
import { libraryHealthCheck, type ModelHealthOptions, modelHealthCheck } from './health.js';
import { JobRunner, type JobRunnerOptions } from './jobs.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import { OutboxSender } from './outbox-sender.js';
import { type AgentRunOptions, ModelRunner } from './runner.js';
import { type InstallOutcome, InstallSlots } from './slots.js';
import { DeviceState } from './state.js';
import {
  detectionTelemetry,
  driftTelemetry,
  hungerTelemetry,
  perfTelemetry,
  TelemetryQueue,
} from './telemetry.js';

export interface DeviceAgentOptions {
  /** The device's data directory: slots, downloads, outbox, state. */
  readonly dataDir: string;
  readonly credentials: SyncCredentials;
  /** Broker URL. @defaultValue credentials.broker */
  readonly broker?: string;
  /** Public keys releases must be signed with. */
  readonly trust: readonly KeyInput[];
  /** What to run and on which input (runDevice's options; `model` is the fallback). */
  readonly run: AgentRunOptions;
  /** Performance window length, ms (a `desired` setting may change it). @defaultValue 10000 */
  readonly telemetryIntervalMs?: number;
  readonly client?: Pick<SyncClientOptions, 'reconnectPeriodMs' | 'connectTimeoutMs' | 'keepaliveS'>;
  readonly jobs?: Pick<
    JobRunnerOptions,
    'chunkTimeoutMs' | 'retry' | 'progressIntervalMs' | 'healthTimeoutMs' | 'onInstallStep'
  >;
  readonly outbox?: Pick<OutboxOptions, 'maxBytes' | 'maxBatches' | 'segmentBytes' | 'maxBatchBytes'>;
  readonly health?: Pick<ModelHealthOptions, 'errorFactor' | 'errorEpsilon' | 'zeroSteps'> & {
    /** Recent samples kept for model health checks. @defaultValue 256 */
    readonly recentSamples?: number;
  };
  /** Told of the run's events besides the agent's own use of them. */
  readonly observer?: RunObserver;
  /** Time close() gives the outbox to drain, ms. @defaultValue 2000 */
  readonly flushTimeoutMs?: number;
  /** @defaultValue stderr */
  readonly log?: (line: string) => void;
}

export const AGENT_DEFAULTS = Object.freeze({ telemetryIntervalMs: 10_000, flushTimeoutMs: 2000 });

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class DeviceAgent {
  readonly dataDir: string;
  readonly state: DeviceState;
  readonly slots: Readonly<Record<ReleaseKind, InstallSlots>>;
  readonly runner: ModelRunner;
  readonly control: LoopControl;
  readonly log: (line: string) => void;
  /** This process's boot number (0 before start()). */
  boot = 0;
  private started: {
    client: SyncClient;
    jobs: JobRunner;
    outbox: Outbox;
    sender: OutboxSender;
    telemetry: TelemetryQueue;
  } | null = null;
  private readonly o: DeviceAgentOptions;
  private closed = false;

  constructor(options: DeviceAgentOptions) {
    this.o = options;
    this.dataDir = options.dataDir;
    this.log = options.log ?? ((line) => process.stderr.write(`device: ${line}\n`));
    this.state = new DeviceState(options.dataDir);
    this.slots = {
      library: new InstallSlots(join(options.dataDir, 'library')),
      model: new InstallSlots(join(options.dataDir, 'model')),
    };
    this.control = {
      reselect: false,
      tauReset: false,
      library: null,
      windowMs: options.telemetryIntervalMs ?? AGENT_DEFAULTS.telemetryIntervalMs,
    };
    const user = options.observer;
    const observer: RunObserver = {
      onStep: (step, y) => user?.onStep?.(step, y),
      onDrift: (e) => {
        user?.onDrift?.(e);
        const r = driftTelemetry(e, this.runner.stepOffset);
        if (r) this.started?.telemetry.addDrift(r);
      },
      onWindow: (w) => {
        user?.onWindow?.(w);
        const started = this.runner.current?.started;
        const r = perfTelemetry(w, {
          engine: started?.info.name ?? 'none',
          ...(started
            ? {
                budgetUs: started.loaded.profile.stepLatencyBudgetUs,
                engineFallbacks: started.info.fallbacks,
              }
            : {}),
          outboxDropped: this.started?.outbox.dropped ?? 0,
          modelVersion: runningVersions(this).modelVersion,
        });
        if (r) this.started?.telemetry.add('tel/perf', [r]);
      },
      onSelection: (record, hunger, searched) => {
        user?.onSelection?.(record, hunger, searched);
        this.started?.telemetry.add('tel/hunger', hungerTelemetry(record, hunger, searched));
      },
    };
    this.runner = new ModelRunner({
      run: {
        ...options.run,
        onDetection: (d) => {
          options.run.onDetection?.(d);
          const r = detectionTelemetry(d, runningVersions(this).modelVersion);
          if (r) this.started?.telemetry.add('evt/detection', [r]);
        },
      },
      candidates: () => {
        const dirs: string[] = [];
        const slot = this.slots.model.activeDir();
        if (slot) dirs.push(slot);
        if (options.run.model) dirs.push(options.run.model);
        return dirs;
      },
      observer,
      control: this.control,
      ...(options.health?.recentSamples ? { recentSamples: options.health.recentSamples } : {}),
      onStart: () => {
        // the engine named in `birth` may have changed
        if (this.started?.client.connected) this.started.client.publishBirth().catch(() => {});
      },
      log: this.log,
    });
  }

  get client(): SyncClient {
    return this.need().client;
  }

  get jobs(): JobRunner {
    return this.need().jobs;
  }

  get outbox(): Outbox {
    return this.need().outbox;
  }

  get sender(): OutboxSender {
    return this.need().sender;
  }

  private need(): NonNullable<DeviceAgent['started']> {
    if (!this.started) throw new Error('DeviceAgent: start() first');
    return this.started;
  }

  /** Recover, count the boot, open the outbox, connect and resume. */
  start(): void {
    if (this.started) return;
    const recovered: Partial<Record<ReleaseKind, InstallOutcome>> = {};
    for (const kind of ['library', 'model'] as const) {
      const r = this.slots[kind].recover();
      if (r.outcome) {
        recovered[kind] = r.outcome;
        this.log(`${kind} slots: ${r.outcome.reason}`);
      }
      // a device that installed releases before it kept the newest one starts from its slot's
      const p = this.slots[kind].pointer();
      if (p.active && !p.trial) this.state.noteRan(kind, { version: p.active.release.version });
    }
    const outboxDir = join(this.dataDir, 'outbox');
    this.boot = this.state.nextBoot(Outbox.highestBoot(outboxDir));
    const outbox = new Outbox({ ...this.o.outbox, dir: outboxDir, stream: this.state.stream, log: this.log });
    const settings = this.state.settings;
    if (settings.telemetryIntervalMs !== undefined) this.control.windowMs = settings.telemetryIntervalMs;
    if (settings.adaptTau !== undefined) this.runner.adaptTau = settings.adaptTau;
    this.control.library = this.installedLibrary();

    const client = new SyncClient({
      ...this.o.client,
      credentials: this.o.credentials,
      ...(this.o.broker ? { broker: this.o.broker } : {}),
      birth: () => this.birth(),
      log: this.log,
    });
    const sender = new OutboxSender(outbox, {
      publish: (kind, payload) => client.publish(kind, payload),
      connected: () => client.connected,
      log: this.log,
    });
    const telemetry = new TelemetryQueue(outbox, { onQueued: () => sender.kick(), log: this.log });
    const run = this.o.run;
    const jobs = new JobRunner({
      ...this.o.jobs,
      dataDir: this.dataDir,
      profile: run.profile.name,
      trust: this.o.trust,
      transport: client,
      slots: this.slots,
      state: this.state,
      healthCheck: (kind) =>
        kind === 'library'
          ? libraryHealthCheck()
          : modelHealthCheck({
              ...this.o.health,
              profile: run.profile,
              ...(run.quant ? { quant: run.quant } : {}),
              ...(run.engine ? { engine: run.engine } : {}),
              ...(run.threads !== undefined ? { threads: run.threads } : {}),
              ...(run.latencyCheck !== undefined ? { latencyCheck: run.latencyCheck } : {}),
              samples: () => this.runner.recent,
              horizon: () => this.runner.horizon,
              reference: () => this.runner.current?.dir ?? null,
              shape: () => this.runner.shape,
            }),
      onFinished: (update, outcome) => this.afterJob(update, outcome),
      log: this.log,
    });
    this.started = { client, jobs, outbox, sender, telemetry };

    client.on('connect', () => {
      sender.kick();
      jobs.resendFinal();
      this.publishReported();
    });
    client.on('notify', (n) => jobs.handleNotify(n));
    client.on('desired', (d) => this.applyDesired(d));
    client.on('cmd', (name, c) => this.command(name, c));
    client.start();
    jobs.resume(recovered);
  }

  /** Run the model until the input ends or stopRun(). */
  async run(): Promise<DeviceSummary> {
    const { outbox } = this.need();
    const summary = await this.runner.run();
    return {
      ...summary,
      sync: { outbox_dropped: outbox.dropped, outbox_torn: outbox.torn, outbox_unsent: outbox.size.batches },
    };
  }

  /** End the model run (run() then resolves with its summary). */
  stopRun(): void {
    this.runner.stop();
  }

  /** Stop jobs, flush telemetry for a moment, publish 'offline' and disconnect. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.runner.stop();
    const s = this.started;
    if (!s) return;
    await s.jobs.stop();
    s.telemetry.flushDrift();
    if (s.client.connected) {
      const drained = await s.sender.flush(this.o.flushTimeoutMs ?? AGENT_DEFAULTS.flushTimeoutMs);
      if (!drained)
        this.log(`${s.outbox.size.batches} telemetry batches stay in the outbox for the next run`);
    }
    await s.client.stop();
    s.outbox.close();
  }

  /** As a crash would leave things: the connection dropped (the will fires), nothing flushed. */
  kill(): void {
    this.closed = true;
    this.runner.stop();
    const s = this.started;
    if (!s) return;
    s.client.kill();
    void s.jobs.stop(0);
    s.outbox.close();
  }

  private installedLibrary(): ActivationLibrary | null {
    const dir = this.slots.library.activeDir();
    if (!dir) return null;
    try {
      return loadLibrary(dir);
    } catch (err) {
      this.log(`installed library in ${dir} not loaded: ${message(err)}`);
      return null;
    }
  }

  private afterJob(_update: JobUpdate, outcome: InstallOutcome | null): void {
    if (outcome?.status === 'installed' && outcome.release) {
      const what = `${outcome.release.kind} release ${outcome.release.version} installed`;
      if (outcome.release.kind === 'model') this.runner.restart(what);
      else {
        this.control.library = this.installedLibrary();
        this.control.reselect = this.control.library !== null;
        this.log(`${what}: reselecting with its entries as extra candidates`);
      }
    }
    this.publishReported();
  }

  private command(name: CmdName, c: CommandMessage): void {
    this.log(`command ${name} (${c.id})`);
    switch (name) {
      case 'reselect':
        this.control.reselect = true;
        return;
      case 'tau-reset':
        this.control.tauReset = true;
        return;
      case 'rollback': {
        const kind: ReleaseKind = c.args?.['kind'] === 'library' ? 'library' : 'model';
        if (this.started?.jobs.running?.phase === 'installing') {
          this.log('rollback refused: an install is in progress');
          return;
        }
        try {
          const back = this.slots[kind].rollback();
          this.log(
            `${kind} rolled back to ${back ? `slot ${back.slot} (${back.release.version})` : 'no slot'}`,
          );
          if (kind === 'model') this.runner.restart('rollback');
          else this.control.library = this.installedLibrary();
        } catch (err) {
          this.log(`rollback refused: ${message(err)}`);
        }
        this.publishReported();
        return;
      }
      case 'rebirth':
        this.started?.client
          .publishBirth()
          .catch((err: unknown) => this.log(`birth not sent: ${message(err)}`));
        this.publishReported();
        return;
    }
  }

  private applyDesired(d: Desired): void {
    const before = this.state.settings;
    const next = { ...before };
    if (d.settings?.telemetryIntervalMs !== undefined)
      next.telemetryIntervalMs = d.settings.telemetryIntervalMs;
    if (d.settings?.adaptTau !== undefined) next.adaptTau = d.settings.adaptTau;
    this.state.setSettings(next);
    this.control.windowMs =
      next.telemetryIntervalMs ?? this.o.telemetryIntervalMs ?? AGENT_DEFAULTS.telemetryIntervalMs;
    if (next.adaptTau !== before.adaptTau) {
      this.runner.adaptTau = next.adaptTau;
      this.runner.restart(`desired adaptTau ${next.adaptTau}`);
    }
    for (const kind of ['library', 'model'] as const) {
      const want = d[kind];
      const have = this.slots[kind].pointer().active?.release;
      if (want && want.sha256 !== have?.sha256) {
        this.log(
          `desired ${kind} ${want.version}, running ${have?.version ?? 'none'}: waiting for its release job`,
        );
      }
    }
    this.publishReported();
  }

  private facts(): DeviceFactsSource {
    return {
      slots: this.slots,
      runner: this.runner,
      state: this.state,
      profile: this.o.run.profile.name,
      boot: this.boot,
      windowMs: this.control.windowMs,
    };
  }

  birth(): Birth {
    return birthMessage(this.facts());
  }

  reported(): Reported {
    return reportedMessage(this.facts());
  }

  publishReported(): void {
    const client = this.started?.client;
    if (!client?.connected) return;
    client
      .publish('reported', JSON.stringify(this.reported()))
      .catch((err: unknown) => this.log(`reported not sent: ${message(err)}`));
  }
}
