/**
 * `simmer-ml/nn` (package.json "exports"): layers, Module (with hooks and withMode), init and summaries (PyTorch's torch.nn).
 * Imports the root first, so Tensor methods (ops) and tensor.backward() are installed whichever entry a user opens.
 */
import '../index.ts';

export * from '../nn/index.ts';
