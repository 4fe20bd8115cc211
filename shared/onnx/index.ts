/**
 * ONNX model building: the GraphBuilder contract emitters write against, the concrete builder
 * that encodes ModelProto bytes (IR 8, opset 17), half-precision conversion and weight quantisation.
 */

export * from './float16.js';
export type { Attr, GraphBuilder, SubgraphHandle } from './graph-builder.js';
export * from './model-builder.js';
export * from './quantize.js';
export * from './tensor-proto.js';
