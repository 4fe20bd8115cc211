/**
 * ONNX TensorProto.DataType codes for the element types liquidkan writes, on their own so that
 * code which only reads models (the compiled engine, the quantiser) needs no protobuf library.
 */

/** Element types a liquidkan graph uses, named as onnxruntime's Tensor names them. */
export type ElemType = 'float32' | 'float16' | 'int8' | 'uint8' | 'int32' | 'int64' | 'bool';

/** ONNX TensorProto.DataType codes. */
export const DATA_TYPE: Readonly<Record<ElemType, number>> = Object.freeze({
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
});
