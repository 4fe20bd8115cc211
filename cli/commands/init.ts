import { loadLibrary } from '../../shared/library/library.js';
import { initModel } from '../../shared/model/init.js';
import { parameterCount } from '../../shared/model/layout.js';
import { saveModelDir } from '../../shared/model/store.js';
import { type Command, intFlag, JSON_FLAG, numberFlag, optionalString, stringFlag } from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

export const initCommand: Command = {
  name: 'init',
  summary: COMMAND_SUMMARIES.init,
  usage: 'init --library classic|DIR --inputs N --hidden H --outputs M --seed S --out DIR',
  flags: {
    library: {
      type: 'string',
      value: 'classic|DIR',
      description: 'activation library to select from',
      required: true,
    },
    inputs: { type: 'string', value: 'N', description: 'input features per step', required: true },
    hidden: {
      type: 'string',
      value: 'H',
      description: 'units of the dense and liquid layers',
      required: true,
    },
    outputs: { type: 'string', value: 'M', description: 'outputs per step', required: true },
    seed: { type: 'string', value: 'S', description: 'random seed (same seed, same model)', required: true },
    out: { type: 'string', value: 'DIR', description: 'model directory to write', required: true },
    activation: {
      type: 'string',
      value: 'NAME',
      description: 'start with a hard choice of this entry instead of a soft mixture of all',
    },
    'dense-layers': { type: 'string', value: 'N', description: 'dense input layers', default: '1' },
    'liquid-layers': { type: 'string', value: 'N', description: 'liquid layers', default: '1' },
    dt: { type: 'string', value: 'SECONDS', description: 'default step Δt', default: '1' },
    json: JSON_FLAG,
  },
  run(ctx) {
    const library = loadLibrary(stringFlag(ctx.flags, 'library'));
    const activation = optionalString(ctx.flags, 'activation');
    const model = initModel({
      library,
      inputs: intFlag(ctx.flags, 'inputs', 1),
      hidden: intFlag(ctx.flags, 'hidden', 1),
      outputs: intFlag(ctx.flags, 'outputs', 1),
      seed: intFlag(ctx.flags, 'seed', 0),
      denseLayers: intFlag(ctx.flags, 'dense-layers', 0),
      liquidLayers: intFlag(ctx.flags, 'liquid-layers', 0),
      dtDefault: numberFlag(ctx.flags, 'dt'),
      ...(activation ? { activation } : {}),
    });
    const out = stringFlag(ctx.flags, 'out');
    saveModelDir(out, model, 'liquidkan init');
    const summary = {
      out,
      parameters: parameterCount(model),
      layers: model.layers.length,
      library: library.version,
    };
    if (ctx.json) ctx.stdout(JSON.stringify(summary));
    else
      ctx.info(
        `wrote ${out}: ${summary.parameters} parameters, ${summary.layers} layers, library v${library.version}`,
      );
  },
};
