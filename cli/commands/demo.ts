/**
 * `liquidkan demo` (`npm run demo`): the whole loop on one machine (cli/demo/fleet.ts): the cloud
 * with its broker and dashboard, discovery, a model trained, exported and released, device
 * processes on sensor streams through a regime shift, and hunger turning into a new library that
 * the devices install and reselect with. `--local` runs the earlier single-process demo
 * (discovery → training → int8 export → the device runtime, cli/commands/demo-local.ts).
 *
 * Ctrl-C (SIGINT) or SIGTERM stops every device process and the cloud and still prints the
 * summary so far; a failed step is named on stderr with a non-zero exit code.
 */
import { InputError } from '../../shared/errors.js';
import {
  type Command,
  intFlag,
  JSON_FLAG,
  numberFlag,
  optionalString,
  portFlag,
  stringFlag,
} from '../command.js';
import type { FleetDemoSummary } from '../demo/fleet.js';
import { COMMAND_SUMMARIES } from './summaries.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: COMMAND_SUMMARIES.demo,
  usage:
    'demo [--devices N] [--duration S] [--http-port H] [--keep] [--no-voice] [--out DIR] [--seed S] [--json] | demo --local [--seed S] [--out DIR] [--json]',
  flags: {
    devices: { type: 'string', value: 'N', description: 'simulated sensor devices', default: '4' },
    duration: {
      type: 'string',
      value: 'S',
      description: 'seconds the devices stream (from their start)',
      default: '90',
    },
    'http-port': {
      type: 'string',
      value: 'H',
      description: 'dashboard / HTTP API port (0 = any)',
      default: '8080',
    },
    keep: { type: 'boolean', description: 'keep the cloud and dashboard up after the summary until Ctrl-C' },
    rate: { type: 'string', value: 'HZ', description: 'samples per second per device', default: '50' },
    family: {
      type: 'string',
      value: 'NAME',
      description: 'built-in discovery family (symbolic, sensors, audio)',
      default: 'sensors',
    },
    'discovery-steps': {
      type: 'string',
      value: 'N',
      description: 'L-BFGS steps per discovery phase (the demo and the loop)',
      default: '10',
    },
    'no-voice': { type: 'boolean', description: 'leave out the voice device' },
    local: { type: 'boolean', description: 'the single-process demo without the fleet' },
    seed: { type: 'string', value: 'S', description: 'random seed', default: '1' },
    out: { type: 'string', value: 'DIR', description: 'where to keep the artefacts (default: a temp dir)' },
    json: JSON_FLAG,
  },
  async run(ctx) {
    if (ctx.flags['local'] === true) {
      const { runLocalDemo } = await import('./demo-local.js');
      await runLocalDemo(ctx);
      return;
    }
    const devices = intFlag(ctx.flags, 'devices', 2);
    const durationS = numberFlag(ctx.flags, 'duration');
    const httpPort = portFlag(ctx.flags, 'http-port');
    const rateHz = numberFlag(ctx.flags, 'rate');
    if (devices > 64) throw new InputError(`--devices ${devices}: at most 64 on one machine`);
    if (!(durationS >= 10)) throw new InputError(`--duration must be at least 10 s, got ${durationS}`);
    if (!(rateHz > 0 && rateHz <= 1000)) throw new InputError(`--rate must be in (0, 1000], got ${rateHz}`);
    const { runFleetDemo, DemoStepError } = await import('../demo/fleet.js');
    const { summaryLines } = await import('../demo/report.js');
    const abort = new AbortController();
    const onSignal = (s: NodeJS.Signals) => {
      process.stderr.write(`\ndemo: ${s}, stopping the devices and the cloud\n`);
      abort.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // with --json the progress goes to stderr, so stdout holds the summary alone
    const say = (line: string) => (ctx.json ? process.stderr.write(`${line}\n`) : ctx.stdout(line));
    let reported = false;
    const report = (s: FleetDemoSummary) => {
      if (reported) return;
      reported = true;
      if (ctx.json) ctx.stdout(JSON.stringify(s));
      else for (const line of summaryLines(s)) ctx.stdout(line);
    };
    let summary: FleetDemoSummary;
    try {
      summary = await runFleetDemo({
        devices,
        durationS,
        httpPort,
        rateHz,
        keep: ctx.flags['keep'] === true,
        out: optionalString(ctx.flags, 'out') ?? null,
        seed: intFlag(ctx.flags, 'seed', 0),
        family: stringFlag(ctx.flags, 'family'),
        discoverySteps: intFlag(ctx.flags, 'discovery-steps', 1),
        voice: ctx.flags['no-voice'] !== true,
        say,
        signal: abort.signal,
        onSummary: report,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    report(summary);
    if (summary.failed) throw new DemoStepError(summary.failed);
  },
};
