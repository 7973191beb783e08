/**
 * Interop: parameter files in the safetensors format and ONNX export of traced functions.
 * Neither needs a runtime dependency (the ONNX protobuf is written by ./onnx/proto).
 */
export { saveSafetensors, loadSafetensors, readSafetensors, MAX_HEADER_BYTES, type IoError } from './safetensors';
export { exportOnnx, ONNX_OPSET, ONNX_SUPPORTED_PRIMITIVES, type OnnxInput, type ExportOnnxOptions } from './onnx';
export type { AnyFn } from './onnx/options';
