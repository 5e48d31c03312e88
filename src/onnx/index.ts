/**
 * ONNX interop: `exportOnnx(model, sampleInput)` writes any zoo model (opset 17, dynamic batch) and
 * `importOnnx(fileOrBytes)` reads a vision model into a trainable Module.
 * @example
 *   writeFileSync('model.onnx', exportOnnx(model, zeros([1, 1, 28, 28])));
 *   const net = importOnnx('model.onnx');   // net.parameters() carry the initializers' names
 */
import './emitters.ts';
import './zoo-emitters.ts';
import './transfer-emitters.ts';

export {
  type AttributeValue,
  EXPORT_OPSET,
  ExportContext,
  type ExportOptions,
  exportableModules,
  exportOnnx,
  type OnnxEmitter,
  type OnnxValue,
  registerOnnxEmitter,
} from './export.ts';
export { reshapeBatch, unary } from './emitters.ts';
export { decodeModel, encodeModel, OnnxError } from './proto.ts';
export { type ImportOptions, importOnnx, type OnnxGraphInfo, OnnxModel } from './import.ts';
export { SUPPORTED_OPS } from './import-ops.ts';
