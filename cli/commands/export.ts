import { exportModel, writeBundle } from '../../shared/export/export.js';
import { loadModelDir } from '../../shared/model/store.js';
import { loadProfile } from '../../shared/profiles.js';
import { QUANTIZATIONS } from '../../shared/types/profile.js';
import { type Command, choiceFlag, JSON_FLAG, stringFlag } from '../command.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a model to ONNX (step and sequence graphs) for a firmware profile',
  usage: 'export --model DIR --profile NAME --quant fp32|fp16|int8 --out DIR',
  flags: {
    model: { type: 'string', value: 'DIR', description: 'model directory', required: true },
    profile: {
      type: 'string',
      value: 'NAME',
      description: 'firmware profile name or JSON path',
      required: true,
    },
    quant: { type: 'string', value: 'fp32|fp16|int8', description: 'weight precision', required: true },
    out: { type: 'string', value: 'DIR', description: 'bundle directory to write', required: true },
    json: JSON_FLAG,
  },
  run(ctx) {
    const profile = loadProfile(stringFlag(ctx.flags, 'profile'));
    const quant = choiceFlag(ctx.flags, 'quant', QUANTIZATIONS);
    const model = loadModelDir(stringFlag(ctx.flags, 'model'));
    const bundle = exportModel(model, { profile, quant, createdBy: 'liquidkan export' });
    const out = stringFlag(ctx.flags, 'out');
    writeBundle(out, bundle);
    const m = bundle.manifest;
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ out, manifest: m }));
      return;
    }
    ctx.info(`wrote ${out} for ${profile.name} (${quant})`);
    ctx.info(`  model.onnx     ${m.step.file.bytes} bytes (step graph)`);
    ctx.info(`  sequence.onnx  ${m.sequence.file.bytes} bytes (Scan over a window)`);
    ctx.info(
      `  accuracy vs fp32 on a ${m.accuracy.probeSteps}-step probe: max |Δy| ${m.accuracy.maxAbsErrorVsFp32.toExponential(2)} (bound ${m.accuracy.boundVsFp32.toExponential(2)})`,
    );
  },
};
