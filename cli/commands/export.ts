import { existsSync } from 'node:fs';
import type { HeldOut } from '../../cloud/train/held-out.js';
import type { TrainingRecord } from '../../cloud/train/training-record.js';
import type { HybridModel } from '../../shared/model/model.js';
import { loadModelDir } from '../../shared/model/store.js';
import { loadProfile } from '../../shared/profiles.js';
import { QUANTIZATIONS } from '../../shared/types/profile.js';
import { type Command, choiceFlag, JSON_FLAG, stringFlag } from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

/**
 * How the manifest measures test error (on the windows or clips the model never trained on),
 * and the validation loss an int8 export's mixed precision is chosen on.
 */
async function heldOutOf(
  record: TrainingRecord | null,
  model: HybridModel,
): Promise<HeldOut | Record<string, never>> {
  // imported here: the board's bundle (cli/device-main.ts) loads them only when it exports
  const { forecastHeldOut, voiceHeldOut } = await import('../../cloud/train/held-out.js');
  const { rebuildForecastData } = await import('../../cloud/train/training-record.js');
  if (record?.task === 'forecast' && existsSync(record.data))
    return forecastHeldOut(rebuildForecastData(record));
  if (record?.task === 'classify') {
    // re-rendering is cheap: espeak-ng output is cached by its parameters. The clips are
    // standardised with the model's own input scaling, the statistics it was trained with.
    const { voiceDataset } = await import('../../cloud/tasks/voice.js');
    const s = model.scaling;
    return voiceHeldOut(
      voiceDataset(
        {
          seed: record.seed,
          keywords: record.keywords,
          perClass: record.perClass,
          ...(record.otherMultiple !== undefined ? { otherMultiple: record.otherMultiple } : {}),
          accentShare: record.accentShare ?? 0,
        },
        s ? { mean: s.inputMean, std: s.inputStd } : undefined,
      ),
    );
  }
  return {};
}

export const exportCommand: Command = {
  name: 'export',
  summary: COMMAND_SUMMARIES.export,
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
  async run(ctx) {
    const profile = loadProfile(stringFlag(ctx.flags, 'profile'));
    const quant = choiceFlag(ctx.flags, 'quant', QUANTIZATIONS);
    const dir = stringFlag(ctx.flags, 'model');
    const model = loadModelDir(dir);
    // a trained model's test windows, when its data is still where training found it
    const { manifestTraining, readTrainingRecord } = await import('../../cloud/train/training-record.js');
    const { exportModel, writeBundle } = await import('../../shared/export/export.js');
    const record = readTrainingRecord(dir);
    const bundle = exportModel(model, {
      profile,
      quant,
      createdBy: 'liquidkan export',
      ...(await heldOutOf(record, model)),
      // the device reads columns, target, horizon and the drift scale from the bundle alone
      ...(record ? { training: manifestTraining(record) } : {}),
    });
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
    const t = m.accuracy.test;
    if (t) {
      ctx.info(
        `  ${t.metric === 'test_mse' ? 'test MSE' : t.metric} ${t.value.toPrecision(5)} (fp32 ${t.fp32.toPrecision(5)}, ${(100 * t.relativeIncrease).toFixed(2)}%)`,
      );
    }
    const tr = m.training;
    if (tr?.inputs) {
      ctx.info(
        `  reads ${tr.inputs.join(', ')} → ${tr.target ?? '-'} at horizon ${tr.horizon ?? '-'} (from training.json, in the manifest)`,
      );
    } else if (!tr) {
      ctx.info(`  no training.json beside ${dir}: the bundle names no input columns and has no drift scale`);
    }
    const kept = Object.entries(m.weightPrecision ?? {}).filter(([, p]) => p === 'fp16' && quant === 'int8');
    if (kept.length) {
      ctx.info(
        `  kept at fp16: ${kept.map(([name]) => name).join(', ')} (int8 cost them over 1% of validation loss)`,
      );
    }
    ctx.info(
      `  accuracy vs fp32 on a ${m.accuracy.probeSteps}-step probe: max |Δy| ${m.accuracy.maxAbsErrorVsFp32.toExponential(2)} (bound ${m.accuracy.boundVsFp32.toExponential(2)})`,
    );
  },
};
