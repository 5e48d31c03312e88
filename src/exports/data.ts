/**
 * `simmer-ml/data` (package.json "exports"): datasets, transforms, the DataLoader, splits and the dataset audit.
 * Imports the root first, so Tensor methods (ops) and tensor.backward() are installed whichever entry a user opens.
 */
import '../index.ts';

export * from '../data/index.ts';
