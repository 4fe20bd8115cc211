import ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
const { OnnxModelBuilder } = await import('./dist/floor.js');
const g = new OnnxModelBuilder({ graphName: 'x' });
g.input('a', 'float32', [1, 8]);
g.output('b', 'float32', [1, 8], g.node('Neg', ['a']));
const s = await ort.InferenceSession.create(g.toBytes(), { executionProviders: ['cpu'], graphOptimizationLevel: 'basic', intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
const a = new ort.Tensor('float32', new Float32Array(8), [1, 8]);
for (const mode of ['await', 'sync-handler']) {
  const times = [];
  const h = s.handler;
  for (let i = 0; i < 5000; i++) {
    const t0 = performance.now();
    if (mode === 'await') await s.run({ a }); else await h.run({ a }, { b: null }, {});
    times.push((performance.now() - t0) * 1000);
  }
  times.sort((x, y) => x - y);
  console.log(mode, 'p50', times[2500].toFixed(1), 'p99', times[4950].toFixed(1));
}
