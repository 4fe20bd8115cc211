import { getEngine } from '../shared/engines/index.js';
import { exportModel } from '../shared/export/export.js';
import { initModel } from '../shared/model/init.js';
import { classicLibrary } from '../shared/library/library.js';
import { loadProfile } from '../shared/profiles.js';
const model = initModel({ library: classicLibrary(), inputs: 8, hidden: 32, outputs: 1, seed: 1, activation: 'tanh' });
for (const quant of ['fp32'] as const) {
const bytes = exportModel(model, { profile: loadProfile('pi5'), quant }).files['model.onnx'] as Uint8Array;
const js = await (await getEngine('js')).load(bytes);
const c = js.compiled!;
if (process.argv[2]) console.log(c.source);
c.inputs.dt[0]=1; c.inputs.input.fill(0.1);
for (let i=0;i<50000;i++) c.step();
const t0=performance.now(); for (let i=0;i<100000;i++) c.step(); console.log('mean us', (performance.now()-t0)*10);
}
