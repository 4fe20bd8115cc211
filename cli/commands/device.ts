import type { DeviceSummary } from '../../device/runtime/summary.js';
import type { AgentRunOptions } from '../../device/sync/runner.js';
import { InputError } from '../../shared/errors.js';
import { QUANTIZATIONS } from '../../shared/types/profile.js';
import {
  type Command,
  choiceFlag,
  type FlagValues,
  intFlag,
  JSON_FLAG,
  numberFlag,
  optionalString,
  stringFlag,
} from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

/** Flags that turn on fleet sync; --credentials, --trust and --data are needed together. */
const SYNC_FLAGS = ['broker', 'fleet', 'id', 'credentials', 'trust', 'data'] as const;

export const deviceCommand: Command = {
  name: 'device',
  summary: COMMAND_SUMMARIES.device,
  usage:
    'device [--model DIR] --profile NAME --input FILE|- [--format csv|jsonl|wav|auto] [--target COL] [--rate HZ] [--engine js|native|wasm|auto] [--adapt-tau|--no-adapt-tau] [--select [--select-after N]] [--threshold P] [--smooth-clips N] [--refractory-ms MS] [--clip-lines] [--quiet] [--broker URL --fleet F --id ID --credentials FILE --trust PUBFILE --data DIR [--telemetry-interval-ms N]] --json',
  flags: {
    model: {
      type: 'string',
      value: 'DIR',
      description:
        'exported bundle or trained model directory (with --data: the fallback when no model release is installed)',
    },
    profile: {
      type: 'string',
      value: 'NAME',
      description: 'firmware profile name or JSON path',
      required: true,
    },
    input: { type: 'string', value: 'FILE|-', description: "input file, or '-' for stdin", required: true },
    format: { type: 'string', value: 'csv|jsonl|wav|auto', description: 'input format', default: 'auto' },
    target: {
      type: 'string',
      value: 'COLS',
      description: 'CSV label column(s), comma-separated, one per output',
    },
    rate: {
      type: 'string',
      value: 'HZ',
      description: 'CSV replay rate (0 = as fast as possible)',
      default: '0',
    },
    horizon: { type: 'string', value: 'H', description: 'samples between a prediction and its label' },
    engine: {
      type: 'string',
      value: 'js|native|wasm|auto',
      description: 'inference engine (js: the compiled engine)',
      default: 'auto',
    },
    threads: { type: 'string', value: 'N', description: "intra-op threads (default: the profile's)" },
    quant: {
      type: 'string',
      value: 'fp32|fp16|int8',
      description: "precision for a model directory (default: the profile's)",
    },
    'adapt-tau': {
      type: 'boolean',
      description: 'adapt τ online (default: on for forecasters with a target)',
    },
    'no-adapt-tau': { type: 'boolean', description: 'never adapt τ' },
    select: { type: 'boolean', description: 'run on-device selection once enough samples are buffered' },
    'select-after': {
      type: 'string',
      value: 'N',
      description: 'samples before selecting (default: midpoint of a CSV file, else 256)',
    },
    'select-budget-ms': {
      type: 'string',
      value: 'MS',
      description: 'selection time budget',
      default: '1000',
    },
    'no-latency-check': { type: 'boolean', description: "skip the profile's step latency budget check" },
    'clip-hop-ms': {
      type: 'string',
      value: 'MS',
      description:
        "time between voice clips (default: the hop the model's detector setting was chosen at, else 100)",
    },
    threshold: {
      type: 'string',
      value: 'P',
      description:
        "voice: smoothed posterior a keyword must reach to be detected (default: the model's validated setting, else 0.8)",
    },
    'smooth-clips': {
      type: 'string',
      value: 'N',
      description:
        "voice: clips whose posteriors are averaged (default: the model's validated setting, else 3)",
    },
    'refractory-ms': {
      type: 'string',
      value: 'MS',
      description: 'voice: time after a detection in which no other fires',
      default: '1000',
    },
    'clip-lines': { type: 'boolean', description: 'voice: a line per clip besides the detections' },
    classes: { type: 'string', value: 'NAMES', description: 'class names of a classifier, comma-separated' },
    quiet: { type: 'boolean', description: 'no per-step output lines' },
    broker: {
      type: 'string',
      value: 'URL',
      description: "fleet sync: broker URL (default: the credentials file's)",
    },
    fleet: {
      type: 'string',
      value: 'F',
      description: 'fleet sync: fleet id (checked against the credentials)',
    },
    id: {
      type: 'string',
      value: 'ID',
      description: 'fleet sync: device id (checked against the credentials)',
    },
    credentials: {
      type: 'string',
      value: 'FILE',
      description: "fleet sync: the device's credentials file (liquidkan devices add --out)",
    },
    trust: {
      type: 'string',
      value: 'PUBFILE',
      description: 'fleet sync: release public key to trust (repeatable)',
      multiple: true,
    },
    data: { type: 'string', value: 'DIR', description: "fleet sync: the device's slots, outbox and state" },
    'telemetry-interval-ms': {
      type: 'string',
      value: 'N',
      description: 'fleet sync: performance telemetry window',
      default: '10000',
    },
    json: JSON_FLAG,
  },
  async run(ctx) {
    const { loadProfile } = await import('../../shared/profiles.js');
    const list = (name: string) =>
      optionalString(ctx.flags, name)
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '') ?? null;
    const f = ctx.flags;
    const adaptTau = f['no-adapt-tau'] === true ? false : f['adapt-tau'] === true ? true : null;
    const quant = optionalString(f, 'quant') ? choiceFlag(f, 'quant', QUANTIZATIONS) : undefined;
    const model = optionalString(f, 'model');
    const options = {
      ...(model ? { model } : {}),
      profile: loadProfile(stringFlag(f, 'profile')),
      ...(quant ? { quant } : {}),
      engine: choiceFlag(f, 'engine', ['js', 'native', 'wasm', 'auto'] as const),
      ...(optionalString(f, 'threads') ? { threads: intFlag(f, 'threads', 1) } : {}),
      input: stringFlag(f, 'input'),
      format: choiceFlag(f, 'format', ['csv', 'jsonl', 'wav', 'auto'] as const),
      target: list('target'),
      rateHz: numberFlag(f, 'rate'),
      horizon: optionalString(f, 'horizon') ? intFlag(f, 'horizon', 0) : null,
      adaptTau,
      selectAfter:
        f['select'] === true ? (optionalString(f, 'select-after') ? intFlag(f, 'select-after', 1) : 0) : null,
      selectBudgetMs: numberFlag(f, 'select-budget-ms'),
      latencyCheck: f['no-latency-check'] !== true,
      ...(optionalString(f, 'clip-hop-ms') ? { clipHopMs: numberFlag(f, 'clip-hop-ms') } : {}),
      detector: {
        ...(optionalString(f, 'threshold') ? { threshold: numberFlag(f, 'threshold') } : {}),
        ...(optionalString(f, 'smooth-clips') ? { smoothClips: intFlag(f, 'smooth-clips', 1) } : {}),
        refractoryS: numberFlag(f, 'refractory-ms') / 1000,
      },
      clipLines: f['clip-lines'] === true,
      classes: list('classes'),
      emit: f['quiet'] === true ? null : ctx.stdout,
      log: (line: string) => process.stderr.write(`device: ${line}\n`),
    };
    const sync = SYNC_FLAGS.some((k) => f[k] !== undefined);
    let summary: DeviceSummary;
    if (sync) summary = await runSynced(f, options);
    else {
      if (!options.model)
        throw new InputError('--model is required (or --data with an installed model release)');
      const { runDevice } = await import('../../device/runtime/run.js');
      summary = await runDevice({ ...options, model: options.model });
    }
    if (ctx.json) {
      ctx.stdout(JSON.stringify(summary));
      return;
    }
    const s = summary;
    process.stderr.write(
      `device: ${s.steps} steps on ${s.engine.name}, p50 ${s.latency_us.p50.toFixed(1)} µs, p99 ${s.latency_us.p99.toFixed(1)} µs` +
        (s.mse_first_half !== null
          ? `, MSE ${s.mse_first_half.toPrecision(4)} → ${s.mse_second_half?.toPrecision(4)}`
          : '') +
        `, skipped ${s.skipped_samples.total}, clamped ${s.clamped_values}, drift events ${s.drift_events.length}` +
        (s.sync
          ? `, telemetry batches dropped ${s.sync.outbox_dropped} (outbox full), unsent ${s.sync.outbox_unsent}`
          : '') +
        '\n',
    );
    const b = s.latency_budget;
    if (b?.run?.status === 'over' || b?.status === 'over') {
      process.stderr.write(
        `device: over profile '${s.engine.profile}' stepLatencyBudgetUs ${b.stepLatencyBudgetUs}: calibration p50 ${b.calibration.p50.toFixed(1)} µs, run p50 ${b.run?.p50.toFixed(1) ?? '-'} µs (kept running)\n`,
      );
    }
  },
};

/**
 * The run with fleet sync: the agent connects, takes release jobs and sends telemetry while the
 * model runs. SIGINT or SIGTERM ends the run; the agent then publishes 'offline', flushes its
 * outbox for a moment and disconnects, and the usual summary follows (exit code 0).
 */
async function runSynced(f: FlagValues, run: AgentRunOptions): Promise<DeviceSummary> {
  const { DeviceAgent } = await import('../../device/sync/agent.js');
  const { readCredentials, resolveCredentials } = await import('../../device/sync/credentials.js');
  const { readPublicKey } = await import('../../shared/release/keys.js');
  for (const k of ['credentials', 'data'] as const) {
    if (!optionalString(f, k))
      throw new InputError(`fleet sync needs --${k} (with --credentials, --trust and --data)`);
  }
  const trustFiles = Array.isArray(f['trust']) ? f['trust'] : [];
  if (trustFiles.length === 0)
    throw new InputError('fleet sync needs --trust PUBFILE (the release public key)');
  const broker = optionalString(f, 'broker');
  const fleet = optionalString(f, 'fleet');
  const id = optionalString(f, 'id');
  const credentials = resolveCredentials(readCredentials(stringFlag(f, 'credentials')), {
    ...(broker ? { broker } : {}),
    ...(fleet ? { fleet } : {}),
    ...(id ? { id } : {}),
  });
  const agent = new DeviceAgent({
    dataDir: stringFlag(f, 'data'),
    credentials,
    trust: trustFiles.map((file) => readPublicKey(file)),
    run,
    telemetryIntervalMs: intFlag(f, 'telemetry-interval-ms', 100),
    log: run.log,
  });
  const onSignal = (signal: string) => {
    run.log(`${signal}: stopping`);
    agent.stopRun();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    agent.start();
    return await agent.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await agent.close();
    // a run stopped by a signal leaves stdin open; nothing more is read from it
    if (run.input === '-') process.stdin.destroy();
  }
}
