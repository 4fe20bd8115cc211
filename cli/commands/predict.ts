import { InputError } from '../../shared/errors.js';
import { readNumericCsv } from '../../shared/io/csv.js';
import { loadModelDir } from '../../shared/model/store.js';
import { QUANTIZATIONS } from '../../shared/types/profile.js';
import { type Command, choiceFlag, JSON_FLAG, stringFlag } from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

export const predictCommand: Command = {
  name: 'predict',
  summary: COMMAND_SUMMARIES.predict,
  usage: 'predict --model DIR --input FILE.csv [--engine ts|onnx] [--quant fp32|fp16|int8] --json',
  flags: {
    model: {
      type: 'string',
      value: 'DIR',
      description: 'model directory or exported bundle',
      required: true,
    },
    input: {
      type: 'string',
      value: 'FILE.csv',
      description: "rows of the model's inputs in order (header optional)",
      required: true,
    },
    engine: {
      type: 'string',
      value: 'ts|onnx',
      description: 'TypeScript reference or onnxruntime (native, wasm fallback)',
      default: 'ts',
    },
    quant: { type: 'string', value: 'fp32|fp16|int8', description: 'weight precision', default: 'fp32' },
    json: JSON_FLAG,
  },
  async run(ctx) {
    const model = loadModelDir(stringFlag(ctx.flags, 'model'));
    const file = stringFlag(ctx.flags, 'input');
    const table = readNumericCsv(file);
    if (table.columns.length !== model.inputs) {
      throw new InputError(
        `${file}: has ${table.columns.length} columns, the model takes ${model.inputs} inputs per row`,
      );
    }
    const engine = choiceFlag(ctx.flags, 'engine', ['ts', 'onnx'] as const);
    const quant = choiceFlag(ctx.flags, 'quant', QUANTIZATIONS);
    const { predictSequence } = await import('../../device/predict.js');
    const result = await predictSequence(model, table.values, { engine, quant });
    const rows: number[][] = [];
    for (let t = 0; t < table.rows; t++) {
      rows.push(Array.from(result.values.subarray(t * model.outputs, (t + 1) * model.outputs)));
    }
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ predictions: rows, engine: result.ranOn }));
      return;
    }
    for (const r of rows) ctx.stdout(r.map((v) => v.toPrecision(7)).join(','));
  },
};
