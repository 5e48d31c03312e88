/**
 * `simmer-ml/models` (package.json "exports"): the model zoo.
 * Imports the root first, so Tensor methods (ops) and tensor.backward() are installed whichever entry a user opens.
 */
import '../index.ts';

export * from '../models/index.ts';
