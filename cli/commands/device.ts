import { QUANTIZATIONS } from '../../shared/types/profile.js';
import {
  type Command,
  choiceFlag,
  intFlag,
  JSON_FLAG,
  numberFlag,
  optionalString,
  stringFlag,
} from '../command.js';

export const deviceCommand: Command = {
  name: 'device',
  summary: 'run a model on this board: stream inputs, adapt τ, select, watch drift',
  usage:
    'device --model DIR --profile NAME --input FILE|- [--format csv|jsonl|wav|auto] [--target COL] [--rate HZ] [--engine native|wasm|auto] [--adapt-tau|--no-adapt-tau] [--select [--select-after N]] [--quiet] --json',
  flags: {
    model: {
      type: 'string',
      value: 'DIR',
      description: 'exported bundle or trained model directory',
      required: true,
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
    engine: { type: 'string', value: 'native|wasm|auto', description: 'inference engine', default: 'auto' },
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
    'clip-hop-ms': { type: 'string', value: 'MS', description: 'time between voice clips', default: '250' },
    classes: { type: 'string', value: 'NAMES', description: 'class names of a classifier, comma-separated' },
    quiet: { type: 'boolean', description: 'no per-step output lines' },
    json: JSON_FLAG,
  },
  async run(ctx) {
    const { runDevice } = await import('../../device/runtime/run.js');
    const { loadProfile } = await import('../../shared/profiles.js');
    const list = (name: string) =>
      optionalString(ctx.flags, name)
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '') ?? null;
    const f = ctx.flags;
    const adaptTau = f['no-adapt-tau'] === true ? false : f['adapt-tau'] === true ? true : null;
    const quant = optionalString(f, 'quant') ? choiceFlag(f, 'quant', QUANTIZATIONS) : undefined;
    const summary = await runDevice({
      model: stringFlag(f, 'model'),
      profile: loadProfile(stringFlag(f, 'profile')),
      ...(quant ? { quant } : {}),
      engine: choiceFlag(f, 'engine', ['native', 'wasm', 'auto'] as const),
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
      clipHopMs: numberFlag(f, 'clip-hop-ms'),
      classes: list('classes'),
      emit: f['quiet'] === true ? null : ctx.stdout,
      log: (line) => process.stderr.write(`device: ${line}\n`),
    });
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
        `, skipped ${s.skipped_samples.total}, clamped ${s.clamped_values}, drift events ${s.drift_events.length}\n`,
    );
  },
};
