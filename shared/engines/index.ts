/**
 * Inference engines on the device: the Engine contract, its register/resolve pair, and the two
 * implementations (onnxruntime-node and onnxruntime-web's wasm build).
 */

export { compiledEngine, compileModel } from './compiled/engine.js';
export * from './engine.js';
export { nativeEngine } from './native.js';
export * from './ort-session.js';
export { wasmEngine } from './wasm.js';
