import { exportModel } from '/work/main/shared/export/export.js';
import { classicLibrary } from '/work/main/shared/library/library.js';
import { initModel } from '/work/main/shared/model/init.js';
import { loadProfile } from '/work/main/shared/profiles.js';
import { onnx } from '/work/main/shared/onnx/tensor-proto.js';
const model = initModel({ library: classicLibrary(), inputs: 8, hidden: 32, outputs: 1, seed: 1, activation: 'tanh' });
for (const quant of ['fp32', 'int8'] as const) {
  const bundle = exportModel(model, { profile: loadProfile('pi5'), quant });
  const bytes = bundle.files['model.onnx'] as Uint8Array;
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const sz = (x: any, T: any) => T.encode(x).finish().length;
  const inits = g.initializer!.map((t) => sz(t, onnx.TensorProto));
  const nodes = g.node!.map((n) => sz(n, onnx.NodeProto));
  console.log(quant, 'total', bytes.length, 'inits', inits.reduce((a, b) => a + b, 0), 'nodes', nodes.reduce((a, b) => a + b, 0),
    'inputs', g.input!.map((x) => sz(x, onnx.ValueInfoProto)).reduce((a, b) => a + b, 0),
    'outputs', g.output!.map((x) => sz(x, onnx.ValueInfoProto)).reduce((a, b) => a + b, 0),
    'meta', (m.metadataProps ?? []).map((x) => sz(x, onnx.StringStringEntryProto)).reduce((a, b) => a + b, 0),
    'doc', (m.docString ?? '').length, (g.docString ?? '').length, 'seq', (bundle.files['sequence.onnx'] as Uint8Array).length);
  for (const [i, t] of g.initializer!.entries()) console.log('  init', t.name, t.dataType, t.dims!.join('x'), inits[i]);
  for (const [i, n] of g.node!.entries()) console.log('  node', n.name, n.opType, n.input!.join(','), '->', n.output!.join(','), nodes[i]);
  for (const p of m.metadataProps ?? []) console.log('  meta', p.key, p.value);
}
