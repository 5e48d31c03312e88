/**
 * `simmer-ml/onnx` (package.json "exports"): ONNX export (exportOnnx, registerOnnxEmitter) and import (importOnnx).
 * Imports the root first, so Tensor methods (ops) and tensor.backward() are installed whichever entry a user opens.
 */
import '../index.ts';

export * from '../onnx/index.ts';
