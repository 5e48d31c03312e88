/**
 * `simmer-ml/train` (package.json "exports"): the training loop: Trainer over a Task, callbacks, metrics and checkpoints.
 * Imports the root first, so Tensor methods (ops) and tensor.backward() are installed whichever entry a user opens.
 */
import '../index.ts';

export * from '../train/index.ts';
