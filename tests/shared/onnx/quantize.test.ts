import { describe, expect, it } from 'vitest';
import { dequantize, INT8_QMAX, quantizePerChannel } from '../../../shared/onnx/quantize.js';
import { DATA_TYPE, onnx } from '../../../shared/onnx/tensor-proto.js';
import { linearFixture, values } from './fixtures.js';

describe('per-channel int8 quantisation', () => {
  it('scales each row by its own max |w| / 127 and keeps values in -127..127', () => {
    const w = [0.6, -1, 0.25, 2, 3, -8];
    const q = quantizePerChannel(w, 2, 3);
    expect(Array.from(q.scales)).toEqual([Math.fround(1 / 127), Math.fround(8 / 127)]);
    expect(Array.from(q.values)).toEqual([76, -127, 32, 32, 48, -127]);
  });

  it('gives an all-zero row scale 1 and zero values', () => {
    const q = quantizePerChannel([0, 0, 1, -1], 2, 2);
    expect(q.scales[0]).toBe(1);
    expect(Array.from(q.values.slice(0, 2))).toEqual([0, 0]);
  });

  it('dequantises within half a step of the original', () => {
    const [rows, cols] = [8, 16];
    const w = values(rows * cols, 42);
    const q = quantizePerChannel(w, rows, cols);
    const back = dequantize(q);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        const i = r * cols + j;
        expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual(q.scales[r] / 2 + 1e-7);
        expect(Math.abs(q.values[i])).toBeLessThanOrEqual(INT8_QMAX);
        expect(back[i]).toBe(Math.fround(q.values[i] * q.scales[r]));
      }
    }
  });

  it('rejects a weight count that does not fill the shape, and non-finite weights', () => {
    expect(() => quantizePerChannel([1, 2, 3], 2, 2)).toThrow(/3 weights do not fill \[2, 2\]/);
    expect(() => quantizePerChannel([1, Number.NaN], 1, 2)).toThrow(/weight \[0, 1\] is NaN/);
  });

  it('makes an int8 model at most 35% of the size of the fp32 one', () => {
    const fp32 = linearFixture('fp32', 64, 64).bytes.length;
    const int8 = linearFixture('int8', 64, 64).bytes.length;
    expect(int8 / fp32).toBeLessThanOrEqual(0.35);
  });

  it('writes DequantizeLinear(axis 0) without the optional zero point (0 for int8 x)', () => {
    const graph = onnx.ModelProto.decode(linearFixture('int8').bytes).graph!;
    const dq = graph.node!.find((n) => n.opType === 'DequantizeLinear')!;
    expect(dq.input).toHaveLength(2);
    expect(dq.attribute?.map((a) => [a.name, Number(a.i)])).toEqual([['axis', 0]]);
    const types = graph.initializer!.map((t) => t.dataType);
    expect(types.filter((t) => t === DATA_TYPE.int8)).toHaveLength(1);
  });
});
