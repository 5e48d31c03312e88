/**
 * `simmer-ml/explain` (package.json "exports"): what a trained image model looks at: feature maps, saliency, Grad-CAM, predictions.
 * Imports the root first, so Tensor methods (ops) and tensor.backward() are installed whichever entry a user opens.
 */
import '../index.ts';

export * from '../explain/index.ts';
