import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import * as ortNs from 'onnxruntime-node';
import { exportModel } from '/work/main/shared/export/export.js';
import { classicLibrary } from '/work/main/shared/library/library.js';
import { initModel } from '/work/main/shared/model/init.js';
import { loadProfile } from '/work/main/shared/profiles.js';
import { prepareModel } from '/work/main/device/engines/engine.js';
const ort: any = (ortNs as any).InferenceSession ? ortNs : (ortNs as any).default;
const model = initModel({ library: classicLibrary(), inputs: 8, hidden: 32, outputs: 1, seed: 1, activation: 'tanh' });
const profile = loadProfile('pi5');
const N = 5000;
function p50(a: number[]) { a.sort((x, y) => x - y); return `p50 ${a[a.length >> 1]!.toFixed(2)} p99 ${a[Math.floor(a.length * 0.99)]!.toFixed(2)}`; }
async function time(label: string, f: () => Promise<unknown> | unknown) {
  const t: number[] = [];
  for (let i = 0; i < N + 300; i++) { const t0 = performance.now(); await f(); const t1 = performance.now(); if (i >= 300) t.push((t1 - t0) * 1000); }
  console.log(label.padEnd(40), p50(t));
}
const quant = (process.argv[2] ?? 'fp32') as any;
const opt = process.argv[3] ?? 'basic';
const bundle = exportModel(model, { profile, quant });
const prep = prepareModel(bundle.files['model.onnx'] as Uint8Array);
const so = { executionProviders: ['cpu'], graphOptimizationLevel: opt, logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1 };
const s = await ort.InferenceSession.create(prep.bytes, so);
const x = new Float32Array(8).fill(0.3), st = new Float32Array(32), dt = Float32Array.of(1);
const tau = prep.defaults['tau']!;
const mk = () => ({ input: new ort.Tensor('float32', x, [1, 8]), state: new ort.Tensor('float32', st, [1, 32]), dt: new ort.Tensor('float32', dt, [1, 1]), tau: new ort.Tensor('float32', tau.data, tau.dims) });
const fixed = mk();
const fetchesNull = { output: null, state_out: null };
const h = s.handler;
// direct binding
const req = createRequire(import.meta.url);
const { binding } = req('onnxruntime-node/dist/binding.js');
const b = new binding.InferenceSession();
b.loadModel(prep.bytes.buffer, prep.bytes.byteOffset, prep.bytes.byteLength, so);
const outPre = { output: new ort.Tensor('float32', new Float32Array(1), [1, 1]), state_out: new ort.Tensor('float32', new Float32Array(32), [1, 32]) };
for (let r = 0; r < 2; r++) {
  await time('session.run new tensors', () => s.run(mk()));
  await time('session.run fixed tensors', () => s.run(fixed));
  await time('handler.run new tensors', () => h.run(mk(), fetchesNull, {}));
  await time('handler.run fixed tensors', () => h.run(fixed, fetchesNull, {}));
  await time('handler.run fixed, prealloc out', () => h.run(fixed, outPre, {}));
  await time('binding.run sync fixed', () => b.run(fixed, fetchesNull, {}));
  await time('binding.run sync fixed, no await', () => { b.run(fixed, fetchesNull, {}); });
  await time('binding.run prealloc out', () => b.run(fixed, outPre, {}));
  await time('setImmediate only', () => new Promise((r) => setImmediate(r)));
}
const r1 = await h.run(fixed, outPre, {});
console.log(Object.keys(r1), r1.state_out.data === outPre.state_out.data, r1.state_out.constructor.name, r1.state_out.data.constructor.name);
const r2 = b.run(fixed, fetchesNull, {});
console.log(r2.state_out.constructor.name, r2.state_out.dims, r2.state_out.type);
