/**
 * `simmer-ml/ops` (package.json "exports"): every differentiable op as a function (the same ops are Tensor methods).
 * Imports the root first, so Tensor methods (ops) and tensor.backward() are installed whichever entry a user opens.
 */
import '../index.ts';

export * from '../ops/index.ts';
