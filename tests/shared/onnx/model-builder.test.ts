import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxError } from '../../../shared/errors.js';
import { DATA_TYPE, type GraphProto, OnnxModelBuilder, onnx } from '../../../shared/onnx/index.js';
import { checkOnnx } from '../../helpers/onnx-checker.js';
import { TOOLS } from '../../helpers/system-tools.js';
import { allFixtures, scanFixture } from './fixtures.js';

/** Decoded messages type repeated fields as optional; protobufjs always fills them with arrays. */
type Graph = { [K in 'input' | 'initializer' | 'node']: NonNullable<GraphProto[K]> };
function decodeGraph(bytes: Uint8Array): Graph {
  return onnx.ModelProto.decode(bytes).graph as Graph;
}

const dir = mkdtempSync(join(tmpdir(), 'lk-onnx-'));
const noChecker = TOOLS.onnxChecker();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Finishes `body`, attaches it to a node of `m` and returns the body's nodes as encoded. */
function attachedBody(m: OnnxModelBuilder, body: ReturnType<OnnxModelBuilder['subgraph']>) {
  m.node('If', [m.initializerF32([1], [])], { then_branch: { graph: body.finish() } });
  const ifNode = decodeGraph(m.toBytes()).node.find((n) => n.opType === 'If');
  const g = ifNode?.attribute?.find((a) => a.name === 'then_branch')?.g;
  return (g?.node ?? []).map((n) => [n.opType, n.input, n.output]);
}

function tiny(): OnnxModelBuilder {
  const m = new OnnxModelBuilder({ graphName: 'tiny' });
  m.input('x', 'float32', ['N', 2]);
  return m;
}

describe('OnnxModelBuilder', () => {
  it.skipIf(noChecker)('passes the onnx checker with full_check for every fixture model', () => {
    const paths = allFixtures().map((f) => {
      const p = join(dir, `${f.name}.onnx`);
      writeFileSync(p, f.bytes);
      return p;
    });
    expect(() => checkOnnx(paths)).not.toThrow();
  });

  it.skipIf(noChecker)('reports the checker message for an invalid model', () => {
    const m = tiny();
    // Add with an int64 operand: well-formed protobuf, but shape/type inference rejects it.
    m.output('y', 'float32', ['N', 2], m.node('Add', ['x', m.initializerI64([1, 2], [2])]));
    const p = join(dir, 'bad.onnx');
    writeFileSync(p, m.toBytes());
    expect(() => checkOnnx([p])).toThrow(/bad\.onnx: .*(Add|type)/s);
  });

  it('writes IR version 8, opset 17 and the producer name', () => {
    const model = onnx.ModelProto.decode(scanFixture().bytes);
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(model.producerName).toBe('liquidkan');
    expect(model.graph?.name).toBe('scan_seq');
  });

  it('stores an input default as an initializer of the same name, and the Scan body as a graph attribute', () => {
    const graph = decodeGraph(scanFixture().bytes);
    expect(graph.input.map((i) => i.name)).toEqual(['x', 'h0', 'tau']);
    expect(graph.initializer.map((t) => t.name)).toContain('tau');
    const scan = graph.node.find((n) => n.opType === 'Scan')!;
    const body = (scan.attribute ?? []).find((a) => a.name === 'body')!;
    expect(body.type).toBe(onnx.AttributeProto.AttributeType.GRAPH);
    expect(body.g?.input?.map((i) => i.name)).toEqual(['h_prev', 'x_t']);
    // The body reads W, U and tau from the outer graph instead of copying them.
    expect(body.g?.initializer ?? []).toHaveLength(0);
  });

  it('shares identical constants and gives them short names', () => {
    const m = tiny();
    const a = m.scalar(0.5);
    const b = m.constant([0.5], []);
    const c = m.constant([1, 2], [2]);
    const d = m.constant([1, 2], [2]);
    const e = m.constant([1, 2], [1, 2]);
    m.output('y', 'float32', ['N', 2], m.node('Add', ['x', m.node('Mul', [a, c])]));
    expect(a).toBe(b);
    expect(c).toBe(d);
    expect(e).not.toBe(c);
    expect(a).toMatch(/^c\d$/);
    const graph = decodeGraph(m.toBytes());
    expect(graph.initializer).toHaveLength(3);
    expect(graph.node.every((n) => !n.name)).toBe(true);
  });

  it('names nodes briefly only when asked to', () => {
    const m = new OnnxModelBuilder({ graphName: 'named', nodeNames: true });
    m.input('x', 'float32', [2]);
    m.output('y', 'float32', [2], m.node('Neg', [m.node('Neg', ['x'])]));
    const graph = decodeGraph(m.toBytes());
    expect(graph.node.map((n) => n.name)).toEqual(['n0', 'n1']);
  });

  it('stores the doc string once, on the main graph', () => {
    const model = onnx.ModelProto.decode(allFixtures().find((f) => f.name === 'mlp')!.bytes);
    expect(model.graph?.docString).toBe('MatMul + Add + Tanh');
    expect(model.docString).toBe('');
  });

  it('writes typed initializers as little-endian raw_data', () => {
    const m = tiny();
    m.initializerF16([1, -2], [2], 'h');
    m.initializerI8([-1, 127], [2], 'q8');
    m.initializerI64([3], [1], 'i64');
    m.output('y', 'float32', ['N', 2], m.node('Identity', ['x']));
    const inits = decodeGraph(m.toBytes()).initializer;
    const byName = Object.fromEntries(inits.map((t) => [t.name, t]));
    expect(byName.h.dataType).toBe(DATA_TYPE.float16);
    expect(Array.from(byName.h.rawData)).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect(byName.q8.dataType).toBe(DATA_TYPE.int8);
    expect(Array.from(byName.q8.rawData)).toEqual([0xff, 0x7f]);
    expect(Array.from(byName.i64.rawData)).toEqual([3, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('names the op and the tensor when a node reads an undefined name', () => {
    const m = tiny();
    expect(() => m.node('MatMul', ['x', 'W'])).toThrow(OnnxError);
    expect(() => m.node('MatMul', ['x', 'W'])).toThrow(/MatMul: input 1 'W' is not defined/);
  });

  it('keeps names unique across the graph and its subgraphs', () => {
    const m = tiny();
    const body = m.subgraph();
    expect(() => body.input('x', 'float32', [2])).toThrow(/input 'x': name is already used/);
    expect(() => m.input('x', 'float32', [2])).toThrow(/already used/);
  });

  it('rejects an output nobody produces, a reused subgraph and values that miss their shape', () => {
    const m = tiny();
    expect(() => m.output('y', 'float32', [1])).toThrow(/output 'y': no node/);
    expect(() => m.initializerF32([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2, 2\]/);
    expect(() => m.initializerI8([200], [1])).toThrow(/element 0 = 200 is not a int8/);
    const body = m.subgraph();
    body.output('o', 'float32', [2], body.node('Identity', ['x']));
    const g = body.finish();
    m.node('If', [m.initializerF32([1], [])], { then_branch: { graph: g } });
    expect(() => m.node('Identity', ['x'], { g: { graph: g } })).toThrow(/one node only/);
  });
});

describe('OnnxModelBuilder.output', () => {
  it('renames the producing node output and its readers instead of adding an Identity', () => {
    const m = tiny();
    const t = m.node('Neg', ['x']);
    const u = m.node('Exp', [t]);
    m.output('a', 'float32', ['N', 2], t);
    // a later reference to the old name reads the renamed tensor
    m.output('b', 'float32', ['N', 2], m.node('Add', [u, t]));
    const graph = decodeGraph(m.toBytes());
    expect(graph.node.map((n) => n.opType)).toEqual(['Neg', 'Exp', 'Add']);
    expect(graph.node.map((n) => [n.input, n.output])).toEqual([
      [['x'], ['a']],
      [['a'], [u]],
      [[u, 'a'], ['b']],
    ]);
    const p = join(dir, 'renamed.onnx');
    writeFileSync(p, m.toBytes());
    if (!noChecker) expect(() => checkOnnx([p])).not.toThrow();
  });

  it('keeps an Identity for a graph input, an initializer, a second output of one tensor and an outer-scope tensor', () => {
    const m = tiny();
    m.output('xi', 'float32', ['N', 2], 'x');
    m.output('wi', 'float32', [2], m.initializerF32([1, 2], [2], 'w'));
    const t = m.node('Neg', ['x']);
    m.output('t1', 'float32', ['N', 2], t);
    m.output('t2', 'float32', ['N', 2], t);
    const body = m.subgraph();
    body.output('o', 'float32', ['N', 2], t);
    const graph = decodeGraph(m.toBytes());
    expect(graph.node.map((n) => [n.opType, n.input, n.output])).toEqual([
      ['Identity', ['x'], ['xi']],
      ['Identity', ['w'], ['wi']],
      ['Neg', ['x'], ['t1']],
      ['Identity', ['t1'], ['t2']],
    ]);
    // the body's output is the outer tensor itself: only an Identity inside the body can name it
    expect(attachedBody(m, body)).toEqual([['Identity', ['t1'], ['o']]]);
  });

  it('keeps an Identity when a subgraph already reads the tensor from the outer scope', () => {
    const m = tiny();
    const t = m.node('Neg', ['x']);
    const body = m.subgraph();
    body.output('o', 'float32', ['N', 2], body.node('Exp', [t]));
    m.output('y', 'float32', ['N', 2], t);
    const graph = decodeGraph(m.toBytes());
    expect(graph.node.map((n) => [n.opType, n.input, n.output])).toEqual([
      ['Neg', ['x'], [t]],
      ['Identity', [t], ['y']],
    ]);
    // the body still reads the outer tensor under its original name
    expect(attachedBody(m, body)).toEqual([['Exp', [t], ['o']]]);
  });
});
