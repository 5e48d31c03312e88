/**
 * `simmer-ml/optim` (package.json "exports"): optimizers, learning-rate schedules and gradient clipping (PyTorch's torch.optim).
 * Imports the root first, so Tensor methods (ops) and tensor.backward() are installed whichever entry a user opens.
 */
import '../index.ts';

export * from '../optim/index.ts';
